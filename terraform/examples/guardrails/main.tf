# Organisation guardrails for vend, in the organisation's management account (or the
# delegated administrator for Organizations policies): the SCPs and RCPs in enforce mode,
# and the audit rules in two regions. EventBridge rules are regional and provider 5.x
# has no per-resource region, so each watched region gets its own module instance with
# a provider alias; only the primary instance owns the organisation policies.
#
# The audit rules see the AssumeRole events recorded in the account they live in. Deploy
# the audit instances in every account that holds protected roles or principals that
# could reach them (for example with one stack per account from your account factory),
# or forward the events of each account's default bus to a central bus and apply this
# there.

locals {
  # Edit these. The primary region holds the organisation policies and watches the
  # AssumeRole calls recorded there: keep us-east-1, where CloudTrail records calls to
  # the global STS endpoint. The secondary region is watched for callers of its regional
  # STS endpoint; add an instance (and a provider alias) per further region.
  region           = "us-east-1"
  secondary_region = "eu-west-1"
  name_prefix      = "vend" # of every created name
  tags             = { project = "vend" }

  local = var.endpoint != null
}

provider "aws" {
  region = local.region

  # Against a local AWS: static test credentials, so that no real credentials from the
  # environment are used, and no calls to the real STS or instance metadata.
  access_key                  = local.local ? "test" : null
  secret_key                  = local.local ? "test" : null
  skip_credentials_validation = local.local
  skip_requesting_account_id  = local.local
  skip_metadata_api_check     = local.local

  endpoints {
    events        = var.endpoint
    organizations = var.endpoint
    sns           = var.endpoint
    sts           = var.endpoint
  }
}

provider "aws" {
  alias  = "secondary"
  region = local.secondary_region

  access_key                  = local.local ? "test" : null
  secret_key                  = local.local ? "test" : null
  skip_credentials_validation = local.local
  skip_requesting_account_id  = local.local
  skip_metadata_api_check     = local.local

  endpoints {
    events        = var.endpoint
    organizations = var.endpoint
    sns           = var.endpoint
    sts           = var.endpoint
  }
}

module "guardrails" {
  source = "../../modules/org-guardrails"

  mode          = var.mode
  tag_gated     = var.tag_gated
  target_ids    = var.target_ids
  audit_regions = [local.region, local.secondary_region]

  tvm_role_arns            = var.tvm_role_arns
  tvm_role_unique_ids      = var.tvm_role_unique_ids
  protected_role_path      = var.protected_role_path
  protected_account_ids    = var.protected_account_ids
  protected_role_tag_key   = var.protected_role_tag_key
  protected_role_tag_value = var.protected_role_tag_value
  deployer_arns            = var.deployer_arns
  break_glass_arns         = var.break_glass_arns
  source_identity_prefix   = var.source_identity_prefix
  tvm_function_arn         = var.tvm_function_arn
  policy_parameter_arn     = var.policy_parameter_arn
  org_id                   = var.org_id

  name_prefix = local.name_prefix
  tags        = local.tags
}

# The same audit in the second region. It needs only what the event patterns use.
module "guardrails_secondary" {
  source = "../../modules/org-guardrails"
  providers = {
    aws = aws.secondary
  }

  mode            = var.mode
  tag_gated       = var.tag_gated
  create_policies = false
  audit_regions   = [local.region, local.secondary_region]

  tvm_role_arns         = var.tvm_role_arns
  tvm_role_unique_ids   = var.tvm_role_unique_ids
  protected_role_path   = var.protected_role_path
  protected_account_ids = var.protected_account_ids

  name_prefix = local.name_prefix
  tags        = local.tags
}
