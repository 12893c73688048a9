output "role_arn" {
  description = "ARN of the protected role: use it as role_arn in the vend policy and in the tvm module's protected_role_arns."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the protected role."
  value       = aws_iam_role.this.name
}

output "role_unique_id" {
  description = "Stable unique ID of the role (AROA...), for guardrails that match aws:userid."
  value       = aws_iam_role.this.unique_id
}

output "assume_role_policy" {
  description = "The trust policy document (JSON) as applied."
  value       = aws_iam_role.this.assume_role_policy
}

output "revocation_policy_arn" {
  description = "ARN of the role's revocation policy (null with revocation = false). Only the TVM may version it; the guardrails say so."
  value       = var.revocation ? aws_iam_policy.revocation[0].arn : null
}
