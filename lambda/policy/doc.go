// Package policy is vend's policy engine: it loads the policy file strictly and decides
// whether a verified caller may have a profile's credentials at a given time.
//
// The engine is plain Go. It imports neither the AWS SDK nor aws-lambda-go, so the TVM,
// the CLI (`vend policy validate|test`), tests and benchmarks all decide with the same
// code.
//
// # Policy file
//
// A policy is one YAML document with a version (1), a mapping of profiles (name → role
// ARN, optional max_duration 15m..1h and description) and an ordered list of rules. A
// rule names the profiles, principals, caller accounts, caller organisations and time
// windows it covers, and allows or denies. Loading is strict: unknown fields, duplicate
// keys, bad patterns and profile patterns that match no profile are errors, because a
// typo in a security policy must not silently grant or refuse access.
//
// # Decisions
//
// A matching deny rule always wins (the first one in file order names the decision);
// otherwise the first matching allow rule allows; otherwise the implicit rule
// [DefaultDenyRule] denies. A request for a profile the policy does not define is
// reported as unknown, not as denied.
//
// Principal patterns follow IAM's ArnLike: each of the six colon-separated ARN parts is
// matched separately, "*" matches any run of characters (including "/") within a part
// and "?" exactly one. Matching is case-sensitive. Time windows are evaluated on the wall
// clock of their IANA time zone, so they follow daylight-saving changes; a window whose
// end is before its start crosses midnight and belongs to the day it starts on.
//
// [Policy.Evaluate] does not allocate: all patterns are compiled when the policy loads
// and each profile carries a precomputed set of the rules that can apply to it.
package policy
