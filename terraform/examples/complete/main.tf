# One account: the TVM, two protected roles it alone may assume, and a policy saying
# who gets which. See README.md.

locals {
  # Edit these; variables.tf holds what differs per deployment.
  name = "vend-tvm" # the TVM function, its role, log group and policy parameter; prefixes the protected roles
  tags = { project = "vend" }
}

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  # Never public: with neither an organisation nor accounts given, only this account.
  allowed_account_ids = var.principal_org_id == null && length(var.allowed_account_ids) == 0 ? [local.account_id] : var.allowed_account_ids
}

module "tvm" {
  source = "../../modules/tvm"

  name         = local.name
  lambda_zip   = var.lambda_zip
  architecture = var.architecture
  frontend     = var.frontend

  protected_role_arns = [module.readonly.role_arn, module.deploy.role_arn]

  # policy.yaml is a template so that the same file works in any account.
  policy_file = "${path.module}/policy.yaml"
  policy_template_vars = {
    account_id        = local.account_id
    readonly_role_arn = module.readonly.role_arn
    deploy_role_arn   = module.deploy.role_arn
  }
  kms_key_arn = var.kms_key_arn

  principal_org_id    = var.principal_org_id
  allowed_account_ids = local.allowed_account_ids

  alarm_sns_topic_arn = var.alarm_sns_topic_arn
  tags                = local.tags
}

module "readonly" {
  source = "../../modules/protected-role"

  name                       = "${local.name}-readonly"
  description                = "Read-only access, vended by ${local.name}."
  tvm_role_arn               = module.tvm.role_arn
  source_identity_prefix     = module.tvm.source_identity_prefix
  break_glass_principal_arns = var.break_glass_principal_arns
  managed_policy_arns        = ["arn:${data.aws_partition.current.partition}:iam::aws:policy/ReadOnlyAccess"]
  tags                       = local.tags
}

module "deploy" {
  source = "../../modules/protected-role"

  name                       = "${local.name}-deploy"
  description                = "Deploys CloudFormation stacks, vended by ${local.name}."
  tvm_role_arn               = module.tvm.role_arn
  source_identity_prefix     = module.tvm.source_identity_prefix
  break_glass_principal_arns = var.break_glass_principal_arns
  enforce                    = true
  inline_policies = {
    deploy-stacks = jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "ManageStacks"
          Effect   = "Allow"
          Action   = ["cloudformation:*"]
          Resource = "arn:${data.aws_partition.current.partition}:cloudformation:${var.region}:${local.account_id}:stack/app-*/*"
        },
      ]
    })
  }
  tags = local.tags
}
