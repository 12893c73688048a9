output "endpoint" {
  description = "The local AWS endpoint the stack lives in (AWS_ENDPOINT_URL for the local runner and the CLI)."
  value       = var.endpoint
}

output "region" {
  description = "Region of the stack (AWS_REGION)."
  value       = local.region
}

output "account_id" {
  description = "The security account, where the TVM lives."
  value       = local.security_account_id
}

output "management_account_id" {
  description = "The organisation's management account: the guardrails are managed there, nothing else."
  value       = local.management_account_id
}

output "security_account_id" {
  description = "The security account, where the TVM lives."
  value       = local.security_account_id
}

output "workload_account_ids" {
  description = "The workload accounts holding protected roles (dev, then prod)."
  value       = local.workload_account_ids
}

output "workload_profiles" {
  description = "A profile the allowed demo caller gets in each workload account, by account ID."
  value       = local.workload_profiles
}

output "caller_account_id" {
  description = "The account of the demo callers (dev)."
  value       = local.dev_account_id
}

output "guardrails" {
  description = "The organisation guardrails: mode, the attached policies by template name, and where they are attached."
  value = {
    mode              = var.guardrails_mode
    params            = local.guardrail_params
    policy_ids        = module.guardrails.policy_ids
    rendered_policies = module.guardrails.rendered_policies
    target_ids        = [var.organization.security_ou_id, var.organization.workloads_ou_id]
    rcp_target_ids    = [var.organization.root_id]
  }
}

output "url" {
  description = "URL the local AWS recorded for the front end. It serves nothing: the local runner puts its own Function URL front before the bootstrap."
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

output "tvm_role_arn" {
  description = "ARN of the TVM's execution role; the local runner's credentials stand in for it."
  value       = module.tvm.role_arn
}

output "policy_parameter_name" {
  description = "SSM parameter holding the rendered policy."
  value       = module.tvm.policy_parameter_name
}

output "environment" {
  description = "The TVM's environment variables: start the bootstrap with these (plus AWS_ENDPOINT_URL and AWS_REGION) to run it as deployed."
  value       = module.tvm.environment
}

output "protected_role_arns" {
  description = "Protected roles by profile name."
  value = {
    (local.allowed_profile) = module.readonly_dev.role_arn
    (local.prod_profile)    = module.readonly_prod.role_arn
    (local.denied_profile)  = module.admin_prod.role_arn
  }
}

output "allowed_profile" {
  description = "A profile the allowed demo caller gets."
  value       = local.allowed_profile
}

output "denied_profile" {
  description = "A profile the policy refuses to the allowed demo caller, with a rule and a reason."
  value       = local.denied_profile
}

output "breakglass_profile" {
  description = "A break-glass profile the allowed demo caller gets only with --reason; each use publishes an event."
  value       = local.breakglass_profile
}

output "approval_profile" {
  description = "A profile the allowed demo caller gets only after the demo approver approves a request."
  value       = local.approval_profile
}

output "state_table_name" {
  description = "DynamoDB table of the TVM's requests and grants."
  value       = module.tvm.state_table_name
}

output "events_topic_arn" {
  description = "SNS topic of the TVM's events; go tool mage deploy subscribes a queue to it (VEND_DEMO_EVENTS_QUEUE_URL)."
  value       = module.tvm.events_topic_arn
}

output "demo_identities" {
  description = "Demo callers with their access keys: allowed (the policy grants it the allowed profile), denied (the policy refuses it everything) and approver (approves the allowed caller's requests)."
  sensitive   = true
  value = {
    allowed = {
      arn               = aws_iam_user.allowed.arn
      access_key_id     = aws_iam_access_key.allowed.id
      secret_access_key = aws_iam_access_key.allowed.secret
    }
    denied = {
      arn               = aws_iam_user.denied.arn
      access_key_id     = aws_iam_access_key.denied.id
      secret_access_key = aws_iam_access_key.denied.secret
    }
    approver = {
      arn               = aws_iam_user.approver.arn
      access_key_id     = aws_iam_access_key.approver.id
      secret_access_key = aws_iam_access_key.approver.secret
    }
  }
}
