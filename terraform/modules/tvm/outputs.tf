output "url" {
  description = "Base URL of the TVM without a trailing slash: give it to vend as --remote-server (or VEND_REMOTE_SERVER)."
  value       = local.url
}

output "frontend" {
  description = "The front end in use: function_url or http_api."
  value       = var.frontend
}

output "signing_service" {
  description = "SigV4 service name clients sign requests with: lambda for a Function URL, execute-api for the HTTP API."
  value       = local.function_url ? "lambda" : "execute-api"
}

output "function_name" {
  description = "Name of the TVM function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the TVM function (for the guardrails that protect it)."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the TVM's execution role: the principal the protected roles trust."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the TVM's execution role."
  value       = aws_iam_role.this.name
}

output "policy_parameter_name" {
  description = "Name of the SSM parameter holding the policy."
  value       = aws_ssm_parameter.policy.name
}

output "policy_parameter_arn" {
  description = "ARN of the SSM parameter holding the policy (for the guardrails that protect it)."
  value       = aws_ssm_parameter.policy.arn
}

output "log_group_name" {
  description = "Log group receiving the TVM's decision log."
  value       = aws_cloudwatch_log_group.this.name
}

output "source_identity_prefix" {
  description = "Prefix of every SourceIdentity the TVM sets; pass it to the protected-role module."
  value       = var.source_identity_prefix
}

output "events_topic_arn" {
  description = "SNS topic the TVM publishes its events to (break-glass alerts): subscribe email, chat or a queue to it. Null when events are off."
  value       = local.events_topic_arn
}

output "state_table_name" {
  description = "DynamoDB table of the TVM's access requests and grants. Null when state is off."
  value       = local.state_table_name
}

output "environment" {
  description = "The function's environment variables (the TVM's configuration), so a local runner can start the same bootstrap with the same settings."
  value       = tomap(local.environment)
}
