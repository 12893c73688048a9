// Package policystore provides the TVM's policy sources (tvm.PolicySource): a file read
// once at cold start, and an SSM parameter cached for a TTL.
//
// Both fail closed. A policy that does not parse refuses every request (an error
// wrapping policy.ErrInvalid) until a valid one replaces it; a source never falls back
// to an older policy once a newer one is known to be broken, because that older policy
// may be exactly what the change meant to revoke. Only an SSM outage — throttling, a
// server error, a timeout, no network — keeps serving the last valid policy, with a
// warning, and only up to a maximum staleness; an answer that says the parameter is gone
// or unreadable (not found, access denied, a KMS error) refuses at the next refresh.
package policystore
