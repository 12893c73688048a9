output "policy_ids" {
  description = "IDs of the organisation policies, by template name without -tagged (empty unless mode is enforce and create_policies is true)."
  value       = { for k, p in aws_organizations_policy.this : k => p.id }
}

output "policy_arns" {
  description = "ARNs of the organisation policies, by template name without -tagged."
  value       = { for k, p in aws_organizations_policy.this : k => p.arn }
}

output "policy_names" {
  description = "Names of the organisation policies, by template name without -tagged."
  value       = { for k, p in aws_organizations_policy.this : k => p.name }
}

output "attachment_ids" {
  description = "Policy attachments, keyed \"TEMPLATE/TARGET\"."
  value       = { for k, a in aws_organizations_policy_attachment.this : k => a.id }
}

output "templates" {
  description = "Template files (below templates_dir) the mode and tag_gated select, by template name without -tagged."
  value       = { for k, t in local.templates : k => t.path }
}

output "rendered_policies" {
  description = "The selected policy documents as rendered and minified, by template name without -tagged, for review before enforcing; byte for byte what `vend scp render` prints for the same parameters. Empty until deployer_arns, tvm_function_arn and policy_parameter_arn are set."
  value       = local.rendered
}

output "rule_arns" {
  description = "ARNs of the audit EventBridge rules in this region (direct, cross_account); empty when this instance audits nothing."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.arn }
}

output "event_patterns" {
  description = "The audit rules' event patterns (JSON), whether or not this instance creates the rules."
  value       = local.event_patterns
}

output "sns_topic_arn" {
  description = "Topic receiving the audit findings (created or given); null when this instance audits nothing."
  value       = local.topic_arn
}

output "audit_enabled" {
  description = "Whether this instance watches its region (audit mode or tag-gated, and the region is in audit_regions)."
  value       = local.audit
}

output "region" {
  description = "Region of this instance's provider, where its audit rules live."
  value       = local.region
}
