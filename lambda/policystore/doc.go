// Package policystore provides the TVM's policy sources (tvm.PolicySource): a file read
// once at cold start, and an SSM parameter cached for a TTL.
//
// Both fail closed. A policy that does not parse refuses every request (an error
// wrapping policy.ErrInvalid) until a valid one replaces it; a source never falls back
// to an older policy once a newer one is known to be broken, because that older policy
// may be exactly what the change meant to revoke. Only an SSM outage — the new value
// cannot be fetched at all — keeps serving the last valid policy, with a warning.
package policystore
