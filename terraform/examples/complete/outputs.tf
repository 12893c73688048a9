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
    dev-readonly  = module.readonly_dev.role_arn
    prod-readonly = module.readonly_prod.role_arn
    prod-deploy   = module.deploy_prod.role_arn
  }
}

output "environment" {
  description = "The TVM's environment variables."
  value       = module.tvm.environment
}

output "security_account_id" {
  description = "The security account, where the TVM lives."
  value       = local.security_account_id
}

output "workload_account_ids" {
  description = "The workload accounts holding protected roles (dev, then prod)."
  value       = [local.dev_account_id, local.prod_account_id]
}

output "guardrails" {
  description = "The guardrails' mode, their documents as rendered (review them before enforcing: `vend scp render` prints the same), the audit rules and the attached policies."
  value = {
    mode              = var.guardrails_mode
    rendered_policies = module.guardrails.rendered_policies
    rule_arns         = module.guardrails.rule_arns
    policy_ids        = module.guardrails.policy_ids
  }
}
