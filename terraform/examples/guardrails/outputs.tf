output "policy_ids" {
  description = "Organisation policy IDs by template name (enforce mode)."
  value       = module.guardrails.policy_ids
}

output "attachment_ids" {
  description = "Policy attachments, keyed TEMPLATE/TARGET."
  value       = module.guardrails.attachment_ids
}

output "rendered_policies" {
  description = "The selected policy documents, minified, for review before enforcing."
  value       = module.guardrails.rendered_policies
}

output "rule_arns" {
  description = "Audit rule ARNs by region, then rule (direct, cross_account)."
  value = {
    (module.guardrails.region)           = module.guardrails.rule_arns
    (module.guardrails_secondary.region) = module.guardrails_secondary.rule_arns
  }
}

output "sns_topic_arns" {
  description = "Audit topic ARN by region: subscribe your security team's endpoint to each."
  value = {
    (module.guardrails.region)           = module.guardrails.sns_topic_arn
    (module.guardrails_secondary.region) = module.guardrails_secondary.sns_topic_arn
  }
}
