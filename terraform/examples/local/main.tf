# The complete stack against a local AWS (moto_server): TVM, two protected roles, the
# policy, and two demo callers (one the policy allows, one it denies). `go tool mage
# deploy` applies it and runs the same bootstrap locally with the environment output.

locals {
  # Edit these; `go tool mage deploy` passes only endpoint, lambda_zip and architecture.
  name     = "vend-tvm"     # the TVM function, and its role, log group and policy parameter
  region   = "us-east-1"    # the region the local AWS pretends to be in
  frontend = "function_url" # or "http_api"
}

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
    apigatewayv2 = var.endpoint
    cloudwatch   = var.endpoint
    dynamodb     = var.endpoint
    events       = var.endpoint
    iam          = var.endpoint
    kms          = var.endpoint
    lambda       = var.endpoint
    logs         = var.endpoint
    sns          = var.endpoint
    ssm          = var.endpoint
    sts          = var.endpoint
  }
}

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  allowed_profile    = "readonly"
  denied_profile     = "admin"
  breakglass_profile = "breakglass"
  approval_profile   = "elevated"
}

resource "aws_kms_key" "policy" {
  description             = "Encrypts the vend policy parameter (local demo)"
  deletion_window_in_days = 7
}

resource "aws_sns_topic" "alarms" {
  name = "${local.name}-alarms"
}

module "tvm" {
  source = "../../modules/tvm"

  name         = local.name
  lambda_zip   = var.lambda_zip
  architecture = var.architecture
  frontend     = local.frontend

  protected_role_arns = [module.readonly.role_arn, module.admin.role_arn]

  policy_file = "${path.module}/policy.yaml"
  policy_template_vars = {
    account_id        = local.account_id
    readonly_role_arn = module.readonly.role_arn
    admin_role_arn    = module.admin.role_arn
    allowed_user_arn  = aws_iam_user.allowed.arn
    denied_user_arn   = aws_iam_user.denied.arn
    approver_user_arn = aws_iam_user.approver.arn
  }
  kms_key_arn = aws_kms_key.policy.arn

  allowed_account_ids = [local.account_id]
  alarm_sns_topic_arn = aws_sns_topic.alarms.arn
}

module "readonly" {
  source = "../../modules/protected-role"

  name                   = "${local.name}-readonly"
  description            = "Read-only access, vended by ${local.name} (local demo)."
  tvm_role_arn           = module.tvm.role_arn
  source_identity_prefix = module.tvm.source_identity_prefix
  # Inline rather than the AWS managed ReadOnlyAccess: moto_server loads AWS managed
  # policies only when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true.
  inline_policies = {
    read-only = jsonencode({
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
}

module "admin" {
  source = "../../modules/protected-role"

  name                   = "${local.name}-admin"
  description            = "Administrator, never vended to the demo callers (local demo)."
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

# Demo callers ---------------------------------------------------------------------------

resource "aws_iam_user" "allowed" {
  name = "vend-demo-allowed"
  path = "/vend-demo/"
}

resource "aws_iam_user" "denied" {
  name = "vend-demo-denied"
  path = "/vend-demo/"
}

# Approves the demo caller's requests for the elevated profile, and may see and revoke
# every request.
resource "aws_iam_user" "approver" {
  name = "vend-demo-approver"
  path = "/vend-demo/"
}

# Both callers may reach the TVM: whether they get credentials is the vend policy's call,
# which is what the demo shows.
resource "aws_iam_user_policy" "invoke_tvm" {
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
  user = aws_iam_user.allowed.name
}

resource "aws_iam_access_key" "denied" {
  user = aws_iam_user.denied.name
}

resource "aws_iam_access_key" "approver" {
  user = aws_iam_user.approver.name
}
