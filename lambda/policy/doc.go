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
// ARN, optional max_duration 15m..1h, description, and session policies that narrow
// every vend of the profile: session_policy, an IAM policy document, and
// session_policy_arns, managed policies; see package internal/sessionpolicy) and an
// ordered list of rules. A rule names the profiles, principals, caller accounts, caller
// organisations and time windows it covers, and allows or denies; an allow rule may be
// break-glass, need approval, or require the caller's own scope (require_scope). Loading is strict: unknown fields, duplicate
// keys, bad patterns and profile patterns that match no profile are errors, because a
// typo in a security policy must not silently grant or refuse access.
//
// # Decisions
//
// A matching deny rule always wins (the first one in file order names the decision);
// otherwise the first matching allow rule allows; otherwise the implicit rule
// [DefaultDenyRule] denies. A request for a profile the policy does not define is
// reported as unknown, not as denied. An allowed [Decision] then says, with the caller's
// scope, which session policies the vend carries ([Decision.Session]): the profile's own
// or the caller's, never both.
//
// Principal patterns follow IAM's ArnLike: each of the six colon-separated ARN parts is
// matched separately, "*" matches any run of characters (including "/") within a part
// and "?" exactly one. Matching is case-sensitive.
//
// # Time windows
//
// A time window is wall-clock time in an IANA time zone: a request is inside it when the
// zone's clocks, at the request's instant, show a time from its start up to (not
// including) its end, on one of its days. A window whose end is before its start crosses
// midnight and belongs to the day it starts on.
//
// The engine turns the request's instant into local time and compares; it never turns a
// window's local times into instants. On the nights the clocks change, that gives a
// defined answer without special cases. In Europe/London on 29 March 2026 the clocks jump
// from 01:00 to 02:00: a window from 01:30 to 02:30 is open only from 02:00 to 02:30 local
// time (01:00 to 01:30 UTC), and a window from 01:00 to 02:00 does not open at all. On 25
// October 2026 the clocks go back from 02:00 to 01:00: a window from 01:00 to 02:00 is
// open during both passes, two hours in all (00:00 to 02:00 UTC). Write windows that must
// hold every night outside the hour the clocks change in (01:00 to 03:00 in most of
// Europe and North America), or in UTC.
//
// The package embeds the IANA time zone database (time/tzdata), so zones load the same
// on a Lambda image or in a container without /usr/share/zoneinfo.
//
// [Policy.Evaluate] does not allocate: all patterns are compiled when the policy loads
// and each profile carries a precomputed set of the rules that can apply to it.
//
// # Adding a rule field
//
// load.go is the entry point; walk.go is the strict YAML walker every field goes
// through. A new rule field changes: schema.go (its name in ruleFields, read and checked
// in loadRule) and the shown [Rule] in policy.go; compile.go (compileRule puts it in
// compiledRule) and compiledRule.check in policy.go, with a new miss when it can fail;
// explain.go (explainMiss says why it did not match); warning.go if some values are
// legal but risky; site/content/reference/policy.md; and tests: load_test.go for every
// error, evaluate_test.go for decisions, and fuzz_test.go seeds.
package policy
