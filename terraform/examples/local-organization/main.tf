# The organisation the local example deploys into, on the local AWS (moto_server): what a
# real organisation already has before vend arrives. A management account (the local
# AWS's default, 123456789012) with all features and both policy types on, a security OU
# holding the security account, and a workloads OU holding two workload accounts.
# `go tool mage deploy` applies this first and hands its outputs to examples/local.

locals {
  region = "us-east-1"
}

provider "aws" {
  region = local.region

  # Static test credentials for the local AWS: no real credentials are ever used.
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    iam           = var.endpoint
    organizations = var.endpoint
    sts           = var.endpoint
  }
}

resource "aws_organizations_organization" "this" {
  feature_set          = "ALL"
  enabled_policy_types = ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]
}

resource "aws_organizations_organizational_unit" "security" {
  name      = "security"
  parent_id = aws_organizations_organization.this.roots[0].id
}

resource "aws_organizations_organizational_unit" "workloads" {
  name      = "workloads"
  parent_id = aws_organizations_organization.this.roots[0].id
}

resource "aws_organizations_account" "security" {
  name      = "security"
  email     = "vend-security@example.com"
  parent_id = aws_organizations_organizational_unit.security.id
}

resource "aws_organizations_account" "workload" {
  for_each = toset(["dev", "prod"])

  name      = each.key
  email     = "vend-${each.key}@example.com"
  parent_id = aws_organizations_organizational_unit.workloads.id
}
