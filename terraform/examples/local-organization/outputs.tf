output "management_account_id" {
  description = "The management account: the organisation's policies are managed here; vend puts nothing else in it."
  value       = aws_organizations_organization.this.master_account_id
}

output "security_account_id" {
  description = "The security account, where the TVM lives."
  value       = aws_organizations_account.security.id
}

output "workload_account_ids" {
  description = "Workload accounts by name (dev, prod), where the protected roles live."
  value       = { for k, a in aws_organizations_account.workload : k => a.id }
}

output "root_id" {
  description = "The organisation's root, where the RCPs are attached."
  value       = aws_organizations_organization.this.roots[0].id
}

output "security_ou_id" {
  description = "The OU of the security account."
  value       = aws_organizations_organizational_unit.security.id
}

output "workloads_ou_id" {
  description = "The OU of the workload accounts."
  value       = aws_organizations_organizational_unit.workloads.id
}

output "organization_id" {
  description = "The organisation's ID (o-...)."
  value       = aws_organizations_organization.this.id
}
