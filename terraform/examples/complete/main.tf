# The founding multi-account pattern on real AWS: the TVM in a security account, protected
# roles in two workload accounts (dev and prod), the guardrails from the management
# account, rolled out audit first. Run it with the management account's credentials (or
# the delegated administrator for Organizations policies); it reaches each member account
# through the role you name for it. See README.md.

locals {
  # Edit these; variables.tf holds what differs per deployment.
  name = "vend-tvm" # the TVM function, its role, log group and policy parameter; prefixes the protected roles
  tags = { project = "vend" }
}

# The management account: the organisation guardrails.
provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "security"
  region = var.region
  assume_role {
    role_arn     = var.security_account_role_arn
    session_name = "vend-deploy"
  }
}

provider "aws" {
  alias  = "dev"
  region = var.region
  assume_role {
    role_arn     = var.workload_account_role_arns.dev
    session_name = "vend-deploy"
  }
}

provider "aws" {
  alias  = "prod"
  region = var.region
  assume_role {
    role_arn     = var.workload_account_role_arns.prod
    session_name = "vend-deploy"
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "security" {
  provider = aws.security
}

data "aws_caller_identity" "dev" {
  provider = aws.dev
}

data "aws_caller_identity" "prod" {
  provider = aws.prod
}

locals {
  partition           = data.aws_partition.current.partition
  security_account_id = data.aws_caller_identity.security.account_id
  dev_account_id      = data.aws_caller_identity.dev.account_id
  prod_account_id     = data.aws_caller_identity.prod.account_id
  # Never public: with neither an organisation nor accounts given, only the workload
  # accounts' principals may call the TVM.
  allowed_account_ids = var.principal_org_id == null && length(var.allowed_account_ids) == 0 ? [local.dev_account_id, local.prod_account_id] : var.allowed_account_ids
}

# Security account: the TVM ------------------------------------------------------------

module "tvm" {
  source    = "../../modules/tvm"
  providers = { aws = aws.security }

  name         = local.name
  lambda_zip   = var.lambda_zip
  architecture = var.architecture
  frontend     = var.frontend

  protected_role_arns = [module.readonly_dev.role_arn, module.readonly_prod.role_arn, module.deploy_prod.role_arn]

  # policy.yaml is a template so that the same file works in any organisation.
  policy_file = "${path.module}/policy.yaml"
  policy_template_vars = {
    dev_account_id         = local.dev_account_id
    prod_account_id        = local.prod_account_id
    dev_readonly_role_arn  = module.readonly_dev.role_arn
    prod_readonly_role_arn = module.readonly_prod.role_arn
    deploy_role_arn        = module.deploy_prod.role_arn
  }
  kms_key_arn = var.kms_key_arn

  principal_org_id    = var.principal_org_id
  allowed_account_ids = local.allowed_account_ids

  alarm_sns_topic_arn = var.alarm_sns_topic_arn
  tags                = local.tags
}

# Workload accounts: the protected roles, and the role through which the TVM revokes
# their sessions ---------------------------------------------------------------------

module "readonly_dev" {
  source    = "../../modules/protected-role"
  providers = { aws = aws.dev }

  name                       = "${local.name}-readonly"
  description                = "Read-only access to dev, vended by ${local.name}."
  tvm_role_arn               = module.tvm.role_arn
  source_identity_prefix     = module.tvm.source_identity_prefix
  break_glass_principal_arns = var.break_glass_principal_arns.dev
  managed_policy_arns        = ["arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"]
  tags                       = local.tags
}

module "revocation_writer_dev" {
  source    = "../../modules/revocation-writer"
  providers = { aws = aws.dev }

  tvm_role_arn = module.tvm.role_arn
  tags         = local.tags
}

module "readonly_prod" {
  source    = "../../modules/protected-role"
  providers = { aws = aws.prod }

  name                       = "${local.name}-readonly"
  description                = "Read-only access to prod, vended by ${local.name}."
  tvm_role_arn               = module.tvm.role_arn
  source_identity_prefix     = module.tvm.source_identity_prefix
  break_glass_principal_arns = var.break_glass_principal_arns.prod
  managed_policy_arns        = ["arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"]
  tags                       = local.tags
}

module "deploy_prod" {
  source    = "../../modules/protected-role"
  providers = { aws = aws.prod }

  name                       = "${local.name}-deploy"
  description                = "Deploys CloudFormation stacks in prod, vended by ${local.name}."
  tvm_role_arn               = module.tvm.role_arn
  source_identity_prefix     = module.tvm.source_identity_prefix
  break_glass_principal_arns = var.break_glass_principal_arns.prod
  enforce                    = true
  inline_policies = {
    deploy-stacks = jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "ManageStacks"
          Effect   = "Allow"
          Action   = ["cloudformation:*"]
          Resource = "arn:${local.partition}:cloudformation:${var.region}:${local.prod_account_id}:stack/app-*/*"
        },
      ]
    })
  }
  tags = local.tags
}

module "revocation_writer_prod" {
  source    = "../../modules/revocation-writer"
  providers = { aws = aws.prod }

  tvm_role_arn = module.tvm.role_arn
  tags         = local.tags
}

# Management account: the organisation guardrails, audit first ------------------------

module "guardrails" {
  source = "../../modules/org-guardrails"

  mode           = var.guardrails_mode
  target_ids     = var.guardrail_target_ids
  rcp_target_ids = var.rcp_target_ids

  tvm_role_arns          = [module.tvm.role_arn]
  protected_role_path    = "/vend/"
  protected_account_ids  = [local.dev_account_id, local.prod_account_id]
  source_identity_prefix = module.tvm.source_identity_prefix
  tvm_function_arn       = module.tvm.function_arn
  policy_parameter_arn   = module.tvm.policy_parameter_arn
  deployer_arns          = var.deployer_arns
  break_glass_arns       = distinct(concat(var.break_glass_principal_arns.dev, var.break_glass_principal_arns.prod))
  org_id                 = var.principal_org_id
  tags                   = local.tags
}
