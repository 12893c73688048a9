// Package identity turns the IAM authorizer block that a Lambda Function URL or an API
// Gateway HTTP API (AWS_IAM auth) passes in requestContext.authorizer.iam into a verified
// Caller, and derives from it the SourceIdentity and RoleSessionName that the TVM puts on
// the sessions it vends.
//
// The ARN in that block was verified by AWS (SigV4), so it is kept whole: the policy
// matches on it and the decision log records it. Everything else in a Caller is derived
// from it for display.
//
// Limits worth knowing:
//   - The session name of an assumed-role caller is chosen by whoever assumed the role and
//     proves nothing, so it is never treated as a person's name, except for IAM Identity
//     Center roles, where AWS sets it to the user's name. The assumed-role ARN carries no
//     role path, so those roles are recognised by their name alone: exactly
//     AWSReservedSSO_<permission set>_<16 hex>. Anyone who may create a role of that
//     name in an account (outside the SSO service) could choose the session name too, so
//     the person's name is never shown or put in a SourceIdentity without the account AWS
//     verified, policies should pin accounts in such patterns (vend policy validate
//     warns), and the guardrails deny creating such roles (DenyIdentityCenterLookalikeRoles
//     in deny-vend-source-identity-spoofing). The classification is for
//     display and naming only, never for authorisation: the policy sees the full ARN.
//   - No MFA or session-tag information reaches the TVM through this block.
package identity
