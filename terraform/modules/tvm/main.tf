data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  log_group_name = "/aws/lambda/${var.name}"
  # Built from names rather than read back from the resources, so that the IAM
  # documents are known at plan time and reviewable before anything exists.
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"

  policy_parameter_name = coalesce(var.policy_parameter_name, "/vend/${var.name}/policy")
  policy_parameter_arn  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(local.policy_parameter_name, "/")}"

  # Access-workflow events (break-glass alerts): a topic of the module's own, or the
  # caller's. Its ARN is built from names when the module creates it, as above.
  events_topic_arn = var.events_topic_arn != null ? var.events_topic_arn : (
    var.events_enabled ? "arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.name}-events" : null
  )

  # Access requests and grants. Built from names, as above.
  state_table_name = var.state_enabled ? "${var.name}-state" : null
  state_table_arn  = var.state_enabled ? "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${var.name}-state" : null

  policy_document = length(var.policy_template_vars) > 0 ? templatefile(var.policy_file, var.policy_template_vars) : file(var.policy_file)
  policy_yaml     = try(yamldecode(local.policy_document), null)
  policy_role_arns = try(
    [for p in values(local.policy_yaml.profiles) : p.role_arn],
    [],
  )

  # The TVM's default bound is 15m, or the TTL when that is longer (lambda/cmd/tvm); the
  # module passes the value it means explicitly, so the environment shows it.
  policy_ttl_seconds   = sum([for m in regexall("([0-9]+)(s|m|h)", var.policy_ttl) : tonumber(m[0]) * { s = 1, m = 60, h = 3600 }[m[1]]])
  policy_max_staleness = var.policy_max_staleness != null ? var.policy_max_staleness : (local.policy_ttl_seconds > 900 ? var.policy_ttl : "15m")

  # The TVM's configuration contract (read by lambda/cmd/tvm). Exposed as an output so a
  # local runner starts the same binary with the same settings.
  environment = merge({
    VEND_POLICY_PARAMETER       = local.policy_parameter_name
    VEND_POLICY_TTL             = var.policy_ttl
    VEND_POLICY_MAX_STALENESS   = local.policy_max_staleness
    VEND_SOURCE_IDENTITY_PREFIX = var.source_identity_prefix
    VEND_SESSION_TAGS           = tostring(var.session_tags)
    VEND_RATE_LIMIT             = tostring(var.rate_limit)
    },
    local.events_topic_arn == null ? {} : { VEND_EVENTS_TOPIC_ARN = local.events_topic_arn },
    local.state_table_name == null ? {} : { VEND_STATE_TABLE = local.state_table_name, VEND_REVOCATION_WRITER_PATH = var.revocation_writer_path },
    local.state_table_name == null || var.rate_limit_when_state_down == "refuse" ? {} : { VEND_RATE_LIMIT_WHEN_STATE_DOWN = var.rate_limit_when_state_down },
  )

  assume_role_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "LambdaService"
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  }

  vend_statements = [
    {
      Sid      = "AssumeProtectedRoles"
      Effect   = "Allow"
      Action   = var.session_tags ? ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"] : ["sts:AssumeRole", "sts:SetSourceIdentity"]
      Resource = var.protected_role_arns
    },
    {
      Sid      = "ReadPolicyParameter"
      Effect   = "Allow"
      Action   = "ssm:GetParameter"
      Resource = local.policy_parameter_arn
    },
    {
      Sid      = "WriteOwnLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${local.log_group_arn}:*"
    },
  ]

  kms_statements = var.kms_key_arn == null ? [] : [
    {
      # Only through SSM and only for this parameter: the key may protect other data.
      Sid      = "DecryptPolicyParameter"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = var.kms_key_arn
      Condition = {
        StringEquals = {
          "kms:ViaService"                      = "ssm.${local.region}.amazonaws.com"
          "kms:EncryptionContext:PARAMETER_ARN" = local.policy_parameter_arn
        }
      }
    },
  ]

  events_statements = local.events_topic_arn == null ? [] : [
    {
      Sid      = "PublishEvents"
      Effect   = "Allow"
      Action   = "sns:Publish"
      Resource = local.events_topic_arn
    },
  ]

  # Items only: no table management, no queries across tables. TransactWriteItems needs
  # the item actions it is made of.
  state_statements = local.state_table_arn == null ? [] : [
    {
      Sid      = "ReadWriteState"
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:ConditionCheckItem"]
      Resource = local.state_table_arn
    },
  ]

  # With the state table the TVM revokes issued sessions by versioning each protected
  # role's revocation policy (the protected-role module's, named after the role under
  # /vend-revocation/): exactly those policies, and no other IAM write.
  revocation_policy_arns = [for a in var.protected_role_arns :
    "${join(":", slice(split(":", a), 0, 5))}:policy/vend-revocation/${element(split("/", a), length(split("/", a)) - 1)}"
    if split(":", a)[4] == local.account_id
  ]
  # IAM has no resource policies: a protected role in another account has its revocation
  # policy written by that account's vend-revocation-writer role (the revocation-writer
  # module), which the TVM assumes.
  revocation_writer_arns = distinct([for a in var.protected_role_arns :
    "arn:${split(":", a)[1]}:iam::${split(":", a)[4]}:role${var.revocation_writer_path}vend-revocation-writer"
    if split(":", a)[4] != local.account_id
  ])
  revocation_statements = local.state_table_arn == null ? [] : [for st in [
    {
      Sid      = "WriteRevocationPolicies"
      Effect   = "Allow"
      Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:ListPolicyVersions"]
      Resource = local.revocation_policy_arns
    },
    {
      Sid      = "AssumeRevocationWriters"
      Effect   = "Allow"
      Action   = ["sts:AssumeRole"]
      Resource = local.revocation_writer_arns
    },
  ] : st if length(st.Resource) > 0]

  execution_policy = {
    Version   = "2012-10-17"
    Statement = concat(local.vend_statements, local.kms_statements, local.events_statements, local.state_statements, local.revocation_statements)
  }

  # Log lines of the policy source that get a metric filter and an alarm (see
  # site/content/operations.md): the key is the line's msg.
  policy_log_alarms = var.alarms_enabled ? {
    policy_stale = {
      metric      = "PolicyStale"
      description = "The vend TVM ${var.name} cannot read its policy parameter (SSM throttling, errors or network) and serves its last valid policy, until it is older than ${local.policy_max_staleness}. The policy_stale log lines say why and how old it is."
    }
    policy_unavailable = {
      metric      = "PolicyUnavailable"
      description = "The vend TVM ${var.name} refuses requests with policy_unavailable: its policy parameter is missing, unreadable or undecryptable, or SSM has failed for longer than ${local.policy_max_staleness}. The policy_unavailable log lines name the parameter and the reason."
    }
  } : {}

  function_url = var.frontend == "function_url"
  http_api     = var.frontend == "http_api"

  # Both front ends report the URL with a trailing slash; clients append /v1/... .
  url = trimsuffix(local.function_url ? aws_lambda_function_url.this[0].function_url : aws_apigatewayv2_stage.this[0].invoke_url, "/")
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name                 = var.name
  path                 = var.role_path
  description          = "Execution role of the vend TVM ${var.name}: the only principal the protected roles trust."
  assume_role_policy   = jsonencode(local.assume_role_policy)
  permissions_boundary = var.role_permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "vend-tvm"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.execution_policy)
}

resource "aws_ssm_parameter" "policy" {
  name        = local.policy_parameter_name
  description = "vend policy read by the TVM ${var.name}"
  type        = "SecureString"
  tier        = var.policy_parameter_tier
  key_id      = var.kms_key_arn
  value       = local.policy_document
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = try(local.policy_yaml.version == 1, false)
      error_message = "The policy_file must be YAML with version: 1 (check it with vend policy validate)."
    }

    precondition {
      condition     = alltrue([for arn in local.policy_role_arns : contains(var.protected_role_arns, arn)])
      error_message = "Every profile's role_arn in the policy must be listed in protected_role_arns, or the TVM could not assume it."
    }
  }
}

# Events --------------------------------------------------------------------------

resource "aws_sns_topic" "events" {
  count = var.events_enabled && var.events_topic_arn == null ? 1 : 0

  name              = "${var.name}-events"
  display_name      = "vend ${var.name}"
  kms_master_key_id = var.events_kms_key_arn != null ? var.events_kms_key_arn : "alias/aws/sns"
  tags              = var.tags
}

# State ---------------------------------------------------------------------------

resource "aws_dynamodb_table" "state" {
  count = var.state_enabled ? 1 : 0

  name         = local.state_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.state_kms_key_arn
  }

  deletion_protection_enabled = var.state_deletion_protection

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  function_name    = var.name
  description      = "vend token vending machine"
  role             = aws_iam_role.this.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  memory_size      = var.memory_size
  timeout          = var.timeout

  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency

  environment {
    variables = local.environment
  }

  tags = var.tags

  # Lambda logs to /aws/lambda/<function name>, which is the log group above; creating
  # it first keeps Lambda from creating one without retention. The role's permissions
  # must exist before the first invocation can log or vend.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this, aws_sns_topic.events, aws_dynamodb_table.state]
}

# Function URL front end -----------------------------------------------------------

resource "aws_lambda_function_url" "this" {
  count = local.function_url ? 1 : 0

  function_name      = aws_lambda_function.this.function_name
  authorization_type = "AWS_IAM"
}

resource "aws_lambda_permission" "url_org" {
  count = local.function_url && var.principal_org_id != null ? 1 : 0

  statement_id           = "VendInvokeUrlFromOrganization"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.this.function_name
  principal              = "*"
  principal_org_id       = var.principal_org_id
  function_url_auth_type = "AWS_IAM"
}

resource "aws_lambda_permission" "url_account" {
  for_each = local.function_url ? toset(var.allowed_account_ids) : toset([])

  statement_id           = "VendInvokeUrlFromAccount${each.value}"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.this.function_name
  principal              = each.value
  function_url_auth_type = "AWS_IAM"
}

# HTTP API front end ---------------------------------------------------------------

resource "aws_apigatewayv2_api" "this" {
  count = local.http_api ? 1 : 0

  name          = var.name
  description   = "vend token vending machine"
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "this" {
  count = local.http_api ? 1 : 0

  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.this.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = min(30000, (var.timeout + 1) * 1000)
}

resource "aws_apigatewayv2_route" "this" {
  count = local.http_api ? 1 : 0

  api_id             = aws_apigatewayv2_api.this[0].id
  route_key          = "GET /v1/{proxy+}"
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.this[0].id}"
}

resource "aws_apigatewayv2_stage" "this" {
  count = local.http_api ? 1 : 0

  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true
  tags        = var.tags
}

resource "aws_lambda_permission" "http_api" {
  count = local.http_api ? 1 : 0

  statement_id  = "VendInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  # Only the GET /v1/ routes of this API, so no other API can front the TVM.
  source_arn = "${aws_apigatewayv2_api.this[0].execution_arn}/*/GET/v1/*"
}

# Alarms ---------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "errors" {
  count = var.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name}-errors"
  alarm_description   = "The vend TVM ${var.name} failed invocations (crashes or timeouts, not policy denials)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.alarm_period
  evaluation_periods  = 1
  threshold           = var.alarm_errors_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  count = var.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name}-throttles"
  alarm_description   = "The vend TVM ${var.name} was throttled: callers get no credentials. Raise reserved concurrency or find the caller."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.alarm_period
  evaluation_periods  = 1
  threshold           = var.alarm_throttles_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}

# The policy source logs policy_stale while it serves a policy it cannot re-read, and
# policy_unavailable while it refuses; the JSON lines become metrics in vend/<name>.
resource "aws_cloudwatch_log_metric_filter" "policy" {
  for_each = local.policy_log_alarms

  name           = "${var.name}-${replace(each.key, "_", "-")}"
  log_group_name = aws_cloudwatch_log_group.this.name
  pattern        = "{ $.msg = \"${each.key}\" }"

  metric_transformation {
    name      = each.value.metric
    namespace = "vend/${var.name}"
    value     = "1"
    unit      = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "policy" {
  for_each = local.policy_log_alarms

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  namespace           = aws_cloudwatch_log_metric_filter.policy[each.key].metric_transformation[0].namespace
  metric_name         = aws_cloudwatch_log_metric_filter.policy[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = var.alarm_period
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}

# The sweep: EventBridge invokes the function on a schedule with a Scheduled Event, which
# the handler tells apart from HTTP requests. It publishes expiries and prunes
# revocation policies; it decides nothing about access.
resource "aws_cloudwatch_event_rule" "sweep" {
  count = var.state_enabled && var.sweep_schedule != null ? 1 : 0

  name                = "${var.name}-sweep"
  description         = "vend: publish expiries and prune revocation policies"
  schedule_expression = var.sweep_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "sweep" {
  count = length(aws_cloudwatch_event_rule.sweep)

  rule = aws_cloudwatch_event_rule.sweep[0].name
  arn  = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "sweep" {
  count = length(aws_cloudwatch_event_rule.sweep)

  statement_id  = "VendSweepFromEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep[0].arn
}
