output "url" {
  description = "TVM URL for vend --remote-server."
  value       = module.tvm.url
}

output "signing_service" {
  description = "SigV4 service the CLI signs with."
  value       = module.tvm.signing_service
}

output "function_name" {
  description = "Name of the TVM function."
  value       = module.tvm.function_name
}

output "function_arn" {
  description = "ARN of the TVM function."
  value       = module.tvm.function_arn
}

output "tvm_role_arn" {
  description = "ARN of the TVM's execution role."
  value       = module.tvm.role_arn
}

output "policy_parameter_name" {
  description = "SSM parameter holding the policy."
  value       = module.tvm.policy_parameter_name
}

output "log_group_name" {
  description = "Log group of the decision log."
  value       = module.tvm.log_group_name
}

output "protected_role_arns" {
  description = "Protected roles by profile name."
  value = {
    readonly = module.readonly.role_arn
    deploy   = module.deploy.role_arn
  }
}

output "environment" {
  description = "The TVM's environment variables."
  value       = module.tvm.environment
}
