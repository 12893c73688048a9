# The founding multi-account pattern against a local AWS (moto_server): the TVM in a
# security account, protected roles in two workload accounts (dev and prod), demo
# callers in dev, and the organisation guardrails attached from the management account,
# SCPs on the security and workloads OUs and RCPs at the root. examples/local-organization
# makes the organisation; `go tool mage deploy` applies it, then this with its outputs
# (var.organization), and runs the same bootstrap locally with the environment output.
# Each account is reached as users reach theirs: a provider per account assuming
# OrganizationAccountAccessRole there.

locals {
  # Edit these; `go tool mage deploy` passes only endpoint, lambda_zip, architecture,
  # organization and guardrails_mode.
  name     = "vend-tvm"     # the TVM function, and its role, log group and policy parameter
  region   = "us-east-1"    # the region the local AWS pretends to be in
  frontend = "function_url" # or "http_api"

  endpoints = {
    apigatewayv2  = var.endpoint
    cloudwatch    = var.endpoint
    dynamodb      = var.endpoint
    events        = var.endpoint
    iam           = var.endpoint
    kms           = var.endpoint
    lambda        = var.endpoint
    logs          = var.endpoint
    organizations = var.endpoint
    sns           = var.endpoint
    ssm           = var.endpoint
    sts           = var.endpoint
  }
  account_role = "OrganizationAccountAccessRole" # what the deployer assumes in each member account
}

# The management account: the organisation's policies, nothing of vend's own.
provider "aws" {
  region = local.region

  # Static test credentials: the local AWS accepts anything, and no real credentials
  # from the environment can leak into (or be used by) this stack.
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    apigatewayv2  = local.endpoints.apigatewayv2
    cloudwatch    = local.endpoints.cloudwatch
    dynamodb      = local.endpoints.dynamodb
    events        = local.endpoints.events
    iam           = local.endpoints.iam
    kms           = local.endpoints.kms
    lambda        = local.endpoints.lambda
    logs          = local.endpoints.logs
    organizations = local.endpoints.organizations
    sns           = local.endpoints.sns
    ssm           = local.endpoints.ssm
    sts           = local.endpoints.sts
  }
}

provider "aws" {
  alias  = "security"
  region = local.region

  access_key = "test"
  secret_key = "test"
  assume_role {
    role_arn     = "arn:aws:iam::${var.organization.security_account_id}:role/${local.account_role}"
    session_name = "vend-deploy"
  }

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    apigatewayv2  = local.endpoints.apigatewayv2
    cloudwatch    = local.endpoints.cloudwatch
    dynamodb      = local.endpoints.dynamodb
    events        = local.endpoints.events
    iam           = local.endpoints.iam
    kms           = local.endpoints.kms
    lambda        = local.endpoints.lambda
    logs          = local.endpoints.logs
    organizations = local.endpoints.organizations
    sns           = local.endpoints.sns
    ssm           = local.endpoints.ssm
    sts           = local.endpoints.sts
  }
}

provider "aws" {
  alias  = "dev"
  region = local.region

  access_key = "test"
  secret_key = "test"
  assume_role {
    role_arn     = "arn:aws:iam::${var.organization.workload_account_ids.dev}:role/${local.account_role}"
    session_name = "vend-deploy"
  }

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    apigatewayv2  = local.endpoints.apigatewayv2
    cloudwatch    = local.endpoints.cloudwatch
    dynamodb      = local.endpoints.dynamodb
    events        = local.endpoints.events
    iam           = local.endpoints.iam
    kms           = local.endpoints.kms
    lambda        = local.endpoints.lambda
    logs          = local.endpoints.logs
    organizations = local.endpoints.organizations
    sns           = local.endpoints.sns
    ssm           = local.endpoints.ssm
    sts           = local.endpoints.sts
  }
}

provider "aws" {
  alias  = "prod"
  region = local.region

  access_key = "test"
  secret_key = "test"
  assume_role {
    role_arn     = "arn:aws:iam::${var.organization.workload_account_ids.prod}:role/${local.account_role}"
    session_name = "vend-deploy"
  }

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    apigatewayv2  = local.endpoints.apigatewayv2
    cloudwatch    = local.endpoints.cloudwatch
    dynamodb      = local.endpoints.dynamodb
    events        = local.endpoints.events
    iam           = local.endpoints.iam
    kms           = local.endpoints.kms
    lambda        = local.endpoints.lambda
    logs          = local.endpoints.logs
    organizations = local.endpoints.organizations
    sns           = local.endpoints.sns
    ssm           = local.endpoints.ssm
    sts           = local.endpoints.sts
  }
}

locals {
  management_account_id = var.organization.management_account_id
  security_account_id   = var.organization.security_account_id
  dev_account_id        = var.organization.workload_account_ids.dev
  prod_account_id       = var.organization.workload_account_ids.prod

  allowed_profile      = "readonly"
  prod_profile         = "prod-readonly"
  denied_profile       = "admin"
  breakglass_profile   = "breakglass"
  approval_profile     = "elevated"
  workload_profiles    = { (local.dev_account_id) = local.allowed_profile, (local.prod_account_id) = local.prod_profile }
  workload_account_ids = [local.dev_account_id, local.prod_account_id]
}

# Security account: the TVM ------------------------------------------------------------

resource "aws_kms_key" "policy" {
  provider = aws.security

  description             = "Encrypts the vend policy parameter (local demo)"
  deletion_window_in_days = 7
}

resource "aws_sns_topic" "alarms" {
  provider = aws.security

  name = "${local.name}-alarms"
}

module "tvm" {
  source    = "../../modules/tvm"
  providers = { aws = aws.security }

  name         = local.name
  lambda_zip   = var.lambda_zip
  architecture = var.architecture
  frontend     = local.frontend

  protected_role_arns = [module.readonly_dev.role_arn, module.readonly_prod.role_arn, module.admin_prod.role_arn]

  policy_file = "${path.module}/policy.yaml"
  policy_template_vars = {
    caller_account_id      = local.dev_account_id
    readonly_role_arn      = module.readonly_dev.role_arn
    prod_readonly_role_arn = module.readonly_prod.role_arn
    admin_role_arn         = module.admin_prod.role_arn
    allowed_user_arn       = aws_iam_user.allowed.arn
    denied_user_arn        = aws_iam_user.denied.arn
    approver_user_arn      = aws_iam_user.approver.arn
  }
  kms_key_arn = aws_kms_key.policy.arn

  # The demo callers live in dev; the Function URL takes calls from that account only.
  allowed_account_ids = [local.dev_account_id]
  alarm_sns_topic_arn = aws_sns_topic.alarms.arn
}

# Workload accounts: the protected roles, and the role through which the TVM revokes
# their sessions ---------------------------------------------------------------------

locals {
  # Inline rather than the AWS managed ReadOnlyAccess: moto_server loads AWS managed
  # policies only when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true.
  read_only_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadOnly"
        Effect   = "Allow"
        Action   = ["sts:GetCallerIdentity", "iam:Get*", "iam:List*", "ssm:DescribeParameters", "lambda:List*"]
        Resource = "*"
      },
    ]
  })
}

module "readonly_dev" {
  source    = "../../modules/protected-role"
  providers = { aws = aws.dev }

  name                   = "${local.name}-readonly"
  description            = "Read-only access to dev, vended by ${local.name} (local demo)."
  tvm_role_arn           = module.tvm.role_arn
  source_identity_prefix = module.tvm.source_identity_prefix
  inline_policies        = { read-only = local.read_only_policy }
}

module "revocation_writer_dev" {
  source    = "../../modules/revocation-writer"
  providers = { aws = aws.dev }

  tvm_role_arn = module.tvm.role_arn
}

module "readonly_prod" {
  source    = "../../modules/protected-role"
  providers = { aws = aws.prod }

  name                   = "${local.name}-readonly"
  description            = "Read-only access to prod, vended by ${local.name} (local demo)."
  tvm_role_arn           = module.tvm.role_arn
  source_identity_prefix = module.tvm.source_identity_prefix
  inline_policies        = { read-only = local.read_only_policy }
}

module "admin_prod" {
  source    = "../../modules/protected-role"
  providers = { aws = aws.prod }

  name                   = "${local.name}-admin"
  description            = "Administrator of prod, never vended to the demo callers without a reason or an approval (local demo)."
  tvm_role_arn           = module.tvm.role_arn
  source_identity_prefix = module.tvm.source_identity_prefix
  enforce                = true
  inline_policies = {
    administrator = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Sid = "Administrator", Effect = "Allow", Action = "*", Resource = "*" }]
    })
  }
}

module "revocation_writer_prod" {
  source    = "../../modules/revocation-writer"
  providers = { aws = aws.prod }

  tvm_role_arn = module.tvm.role_arn
}

# Management account: the organisation guardrails ---------------------------------------

locals {
  # The guardrails' parameters, with the Terraform variable names: `vend scp render
  # --params` takes the same file (go tool mage deploy checks that what is attached
  # equals what it renders).
  guardrail_params = {
    tvm_role_arns          = [module.tvm.role_arn]
    protected_role_path    = "/vend/"
    protected_account_ids  = local.workload_account_ids
    source_identity_prefix = module.tvm.source_identity_prefix
    tvm_function_arn       = module.tvm.function_arn
    policy_parameter_arn   = module.tvm.policy_parameter_arn
    # Who deploys: this stack, as the account role in each member account.
    deployer_arns    = [for a in [local.security_account_id, local.dev_account_id, local.prod_account_id] : "arn:aws:iam::${a}:role/${local.account_role}"]
    break_glass_arns = []
    org_id           = var.organization.organization_id
  }
}

module "guardrails" {
  source = "../../modules/org-guardrails"

  mode = var.guardrails_mode
  # SCPs where the TVM and the protected roles live, RCPs on every account's resources.
  target_ids     = [var.organization.security_ou_id, var.organization.workloads_ou_id]
  rcp_target_ids = [var.organization.root_id]

  tvm_role_arns          = local.guardrail_params.tvm_role_arns
  protected_role_path    = local.guardrail_params.protected_role_path
  protected_account_ids  = local.guardrail_params.protected_account_ids
  source_identity_prefix = local.guardrail_params.source_identity_prefix
  tvm_function_arn       = local.guardrail_params.tvm_function_arn
  policy_parameter_arn   = local.guardrail_params.policy_parameter_arn
  deployer_arns          = local.guardrail_params.deployer_arns
  break_glass_arns       = local.guardrail_params.break_glass_arns
  org_id                 = local.guardrail_params.org_id
}

# Demo callers, in dev -------------------------------------------------------------------

resource "aws_iam_user" "allowed" {
  provider = aws.dev

  name = "vend-demo-allowed"
  path = "/vend-demo/"
}

resource "aws_iam_user" "denied" {
  provider = aws.dev

  name = "vend-demo-denied"
  path = "/vend-demo/"
}

# Approves the demo caller's requests for the elevated profile, and may see and revoke
# every request.
resource "aws_iam_user" "approver" {
  provider = aws.dev

  name = "vend-demo-approver"
  path = "/vend-demo/"
}

# Both callers may reach the TVM: whether they get credentials is the vend policy's call,
# which is what the demo shows.
resource "aws_iam_user_policy" "invoke_tvm" {
  provider = aws.dev
  for_each = {
    allowed  = aws_iam_user.allowed.name
    denied   = aws_iam_user.denied.name
    approver = aws_iam_user.approver.name
  }

  name = "invoke-vend-tvm"
  user = each.value
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "InvokeTVMURL"
        Effect   = "Allow"
        Action   = "lambda:InvokeFunctionUrl"
        Resource = module.tvm.function_arn
      },
      {
        # Only through the Function URL: a direct invocation carries a caller-written
        # event, including a made-up identity.
        Sid       = "InvokeTVMViaURLOnly"
        Effect    = "Allow"
        Action    = "lambda:InvokeFunction"
        Resource  = module.tvm.function_arn
        Condition = { Bool = { "lambda:InvokedViaFunctionUrl" = "true" } }
      },
    ]
  })
}

resource "aws_iam_access_key" "allowed" {
  provider = aws.dev

  user = aws_iam_user.allowed.name
}

resource "aws_iam_access_key" "denied" {
  provider = aws.dev

  user = aws_iam_user.denied.name
}

resource "aws_iam_access_key" "approver" {
  provider = aws.dev

  user = aws_iam_user.approver.name
}
