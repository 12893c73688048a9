// Package sessionpolicy checks the session policies vend passes to sts:AssumeRole: a
// profile's (from the policy file) or a caller's scope (vend --scope, --scope-arn). A
// session policy can only narrow a session: AWS grants the intersection of the role's
// identity-based policies and the session policies, and evaluates the session policies
// of one call as one set, so that an Allow in any of them allows within the role.
//
// The checks are AWS's documented limits and the parts of the policy language a
// session policy may use, made strict so that a mistake is a clear error before any
// AWS call: a JSON object with Version and Statement; statements with Effect Allow or
// Deny, one of Action or NotAction, one of Resource or NotResource, an optional Sid and
// Condition, and no Principal or NotPrincipal; no duplicate keys; at most MaxChars
// characters of plaintext for the inline document (whitespace removed) and the managed
// policy ARNs together, and at most MaxARNs ARNs.
//
// The package uses the standard library only; the TVM, the policy engine and the CLI
// check with the same code.
package sessionpolicy
