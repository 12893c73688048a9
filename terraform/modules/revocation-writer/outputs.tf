output "role_arn" {
  description = "ARN of the vend-revocation-writer role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role (always vend-revocation-writer)."
  value       = aws_iam_role.this.name
}
