// Package iampolicy publishes a revocation document as the default version of a
// protected role's revocation policy through IAM: the TVM's one write to IAM, with
// exactly the permissions the tvm module grants (iam:CreatePolicyVersion,
// iam:ListPolicyVersions and iam:DeletePolicyVersion on policies under
// /vend-revocation/).
package iampolicy
