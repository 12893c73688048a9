# Plan-level tests of the tvm module against a mocked AWS provider: the IAM documents,
# the front-end switch and the invoke permissions. Run with `terraform test` in the
# module folder (see ../../README.md for the offline provider mirror).

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111111111111"
      arn        = "arn:aws:iam::111111111111:user/deployer"
      user_id    = "AIDAEXAMPLE"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm/invocations"
    }
  }

  mock_resource "aws_lambda_function_url" {
    defaults = {
      function_url = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/"
    }
  }

  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      id            = "a1b2c3d4e5"
      execution_arn = "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5"
      api_endpoint  = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    }
  }

  mock_resource "aws_apigatewayv2_stage" {
    defaults = {
      invoke_url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:111111111111:rule/vend-tvm-sweep"
    }
  }

  mock_resource "aws_ssm_parameter" {
    defaults = {
      arn = "arn:aws:ssm:eu-west-1:111111111111:parameter/vend/vend-tvm/policy"
    }
  }
}

variables {
  lambda_zip       = "tests/testdata/bootstrap.zip"
  policy_file      = "tests/testdata/policy.yaml"
  principal_org_id = "o-abc123def4"
  protected_role_arns = [
    "arn:aws:iam::111111111111:role/vend/readonly",
    "arn:aws:iam::111111111111:role/vend/deploy",
  ]
}

run "defaults" {
  assert {
    condition     = aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.handler == "bootstrap"
    error_message = "The TVM must run on provided.al2023 with handler bootstrap."
  }

  assert {
    condition     = tolist(aws_lambda_function.this.architectures) == tolist(["arm64"])
    error_message = "The default architecture must be arm64."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == -1
    error_message = "Without reserved_concurrency the function must stay unreserved (-1)."
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      VEND_POLICY_PARAMETER       = "/vend/vend-tvm/policy"
      VEND_POLICY_TTL             = "60s"
      VEND_POLICY_MAX_STALENESS   = "15m"
      VEND_SOURCE_IDENTITY_PREFIX = "vend-"
      VEND_SESSION_TAGS           = "true"
      VEND_RATE_LIMIT             = "10"
      VEND_EVENTS_TOPIC_ARN       = "arn:aws:sns:eu-west-1:111111111111:vend-tvm-events"
      VEND_STATE_TABLE            = "vend-tvm-state"
      VEND_REVOCATION_WRITER_PATH = "/vend/"
    })
    error_message = "The function environment must carry the TVM contract with its defaults."
  }

  assert {
    condition     = output.environment == aws_lambda_function.this.environment[0].variables
    error_message = "The environment output must equal the function's environment."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/vend-tvm" && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "The log group must be the function's own, with the default retention."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/${aws_lambda_function.this.function_name}"
    error_message = "The log group must be the one Lambda writes the function's logs to."
  }

  # Function URL front end.
  assert {
    condition     = length(aws_lambda_function_url.this) == 1 && aws_lambda_function_url.this[0].authorization_type == "AWS_IAM"
    error_message = "The default front end must be a Function URL with AWS_IAM auth."
  }

  assert {
    condition     = length(aws_apigatewayv2_api.this) == 0 && length(aws_lambda_permission.http_api) == 0
    error_message = "No HTTP API may exist with the function_url front end."
  }

  assert {
    condition     = output.url == "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws" && output.signing_service == "lambda"
    error_message = "The url output must be the Function URL without its trailing slash, signed for lambda."
  }

  assert {
    condition = (
      aws_lambda_permission.url_org[0].action == "lambda:InvokeFunctionUrl" &&
      aws_lambda_permission.url_org[0].principal == "*" &&
      aws_lambda_permission.url_org[0].principal_org_id == "o-abc123def4" &&
      aws_lambda_permission.url_org[0].function_url_auth_type == "AWS_IAM"
    )
    error_message = "The Function URL may be invoked only by the organisation, with AWS_IAM auth."
  }

  assert {
    condition     = length(aws_lambda_permission.url_account) == 0
    error_message = "No per-account permission without allowed_account_ids."
  }

  # The execution role trusts only Lambda.
  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Sid       = "LambdaService"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "The execution role must trust lambda.amazonaws.com only."
  }

  assert {
    condition     = aws_iam_role.this.path == "/vend-tvm/"
    error_message = "The execution role must live outside the protected roles' /vend/ path."
  }

  # Least privilege: exact statements.
  assert {
    condition = toset([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid]) == toset([
      "AssumeProtectedRoles", "ReadPolicyParameter", "WriteOwnLogs", "PublishEvents", "ReadWriteState", "WriteRevocationPolicies",
    ])
    error_message = "Without a KMS key the execution policy must have exactly the vend, parameter, log, events, state and revocation statements."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "WriteRevocationPolicies"][0] == {
      Sid      = "WriteRevocationPolicies"
      Effect   = "Allow"
      Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:ListPolicyVersions"]
      Resource = ["arn:aws:iam::111111111111:policy/vend-revocation/readonly", "arn:aws:iam::111111111111:policy/vend-revocation/deploy"]
    }
    error_message = "The TVM may version the revocation policies of its protected roles and nothing else in IAM."
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid], "AssumeRevocationWriters")
    error_message = "With every protected role in the TVM's account, the TVM assumes no revocation writer."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadWriteState"][0] == {
      Sid      = "ReadWriteState"
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:ConditionCheckItem"]
      Resource = "arn:aws:dynamodb:eu-west-1:111111111111:table/vend-tvm-state"
    }
    error_message = "The TVM may read and write items of its own state table only."
  }

  assert {
    condition = (aws_dynamodb_table.state[0].billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.state[0].ttl[0].attribute_name == "ttl" &&
      aws_dynamodb_table.state[0].ttl[0].enabled && aws_dynamodb_table.state[0].point_in_time_recovery[0].enabled &&
    aws_dynamodb_table.state[0].server_side_encryption[0].enabled)
    error_message = "The state table must be on demand, with TTL, point-in-time recovery and encryption."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "PublishEvents"][0] == {
      Sid      = "PublishEvents"
      Effect   = "Allow"
      Action   = "sns:Publish"
      Resource = "arn:aws:sns:eu-west-1:111111111111:vend-tvm-events"
    }
    error_message = "The TVM may publish only to its own events topic."
  }

  assert {
    condition     = aws_sns_topic.events[0].name == "vend-tvm-events" && aws_sns_topic.events[0].kms_master_key_id == "alias/aws/sns" && output.events_topic_arn == "arn:aws:sns:eu-west-1:111111111111:vend-tvm-events"
    error_message = "The module must create an encrypted events topic named after the TVM and output its ARN."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "AssumeProtectedRoles"][0] == {
      Sid      = "AssumeProtectedRoles"
      Effect   = "Allow"
      Action   = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
      Resource = ["arn:aws:iam::111111111111:role/vend/readonly", "arn:aws:iam::111111111111:role/vend/deploy"]
    }
    error_message = "The TVM may assume, set the source identity on and tag only the listed protected roles."
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [
        for r in flatten([s.Resource]) : !strcontains(r, "*")
      ] if anytrue([for a in flatten([s.Action]) : startswith(a, "sts:")])
    ]))
    error_message = "No sts statement may have a wildcard resource."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadPolicyParameter"][0] == {
      Sid      = "ReadPolicyParameter"
      Effect   = "Allow"
      Action   = "ssm:GetParameter"
      Resource = "arn:aws:ssm:eu-west-1:111111111111:parameter/vend/vend-tvm/policy"
    }
    error_message = "The TVM may read only its own policy parameter."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "WriteOwnLogs"][0] == {
      Sid      = "WriteOwnLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/vend-tvm:*"
    }
    error_message = "The TVM may write only to its own log group, and may not create log groups."
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : anytrue([for a in flatten([s.Action]) : strcontains(a, "*")])])
    error_message = "No action wildcards in the execution policy."
  }

  # The policy parameter.
  assert {
    condition     = aws_ssm_parameter.policy.type == "SecureString" && aws_ssm_parameter.policy.name == "/vend/vend-tvm/policy"
    error_message = "The policy must be a SecureString parameter named after the function by default."
  }

  assert {
    condition     = aws_ssm_parameter.policy.value == file("tests/testdata/policy.yaml")
    error_message = "The parameter must hold the policy file verbatim."
  }

  # Alarms.
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.errors[0].metric_name == "Errors" &&
      aws_cloudwatch_metric_alarm.throttles[0].metric_name == "Throttles" &&
      aws_cloudwatch_metric_alarm.errors[0].dimensions.FunctionName == "vend-tvm" &&
      length(aws_cloudwatch_metric_alarm.errors[0].alarm_actions) == 0
    )
    error_message = "Errors and Throttles alarms must watch the function, without actions when no topic is given."
  }

  assert {
    condition = {
      for k, f in aws_cloudwatch_log_metric_filter.policy : k => [f.name, f.log_group_name, f.pattern, f.metric_transformation[0].namespace, f.metric_transformation[0].name, f.metric_transformation[0].value]
      } == {
      policy_stale       = ["vend-tvm-policy-stale", "/aws/lambda/vend-tvm", "{ $.msg = \"policy_stale\" }", "vend/vend-tvm", "PolicyStale", "1"]
      policy_unavailable = ["vend-tvm-policy-unavailable", "/aws/lambda/vend-tvm", "{ $.msg = \"policy_unavailable\" }", "vend/vend-tvm", "PolicyUnavailable", "1"]
    }
    error_message = "The policy_stale and policy_unavailable log lines of the function's log group must each become a metric in vend/<name>."
  }

  assert {
    condition = alltrue([
      for k, a in aws_cloudwatch_metric_alarm.policy :
      a.namespace == "vend/vend-tvm" && a.metric_name == aws_cloudwatch_log_metric_filter.policy[k].metric_transformation[0].name &&
      a.statistic == "Sum" && a.threshold == 1 && a.comparison_operator == "GreaterThanOrEqualToThreshold" && a.treat_missing_data == "notBreaching"
    ]) && toset(keys(aws_cloudwatch_metric_alarm.policy)) == toset(["policy_stale", "policy_unavailable"])
    error_message = "Each policy metric must raise an alarm on its first line."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.policy["policy_unavailable"].alarm_name == "vend-tvm-policy-unavailable" && strcontains(aws_cloudwatch_metric_alarm.policy["policy_stale"].alarm_description, "older than 15m")
    error_message = "The policy alarms must be named after the function and state the staleness bound."
  }
}

run "kms_key" {
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = aws_ssm_parameter.policy.key_id == var.kms_key_arn
    error_message = "The parameter must be encrypted with the given key."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "DecryptPolicyParameter"][0] == {
      Sid      = "DecryptPolicyParameter"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      Condition = {
        StringEquals = {
          "kms:ViaService"                      = "ssm.eu-west-1.amazonaws.com"
          "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:111111111111:parameter/vend/vend-tvm/policy"
        }
      }
    }
    error_message = "kms:Decrypt must be limited to the key, through SSM, for the policy parameter."
  }
}

run "http_api" {
  variables {
    frontend = "http_api"
  }

  assert {
    condition     = length(aws_lambda_function_url.this) == 0 && length(aws_lambda_permission.url_org) == 0 && length(aws_lambda_permission.url_account) == 0
    error_message = "No Function URL or URL permission may exist with the http_api front end."
  }

  assert {
    condition     = aws_apigatewayv2_api.this[0].protocol_type == "HTTP"
    error_message = "The front end must be an HTTP API."
  }

  assert {
    condition     = aws_apigatewayv2_route.this[0].route_key == "GET /v1/{proxy+}" && aws_apigatewayv2_route.this[0].authorization_type == "AWS_IAM"
    error_message = "The only route must be GET /v1/{proxy+} with AWS_IAM authorization."
  }

  assert {
    condition     = aws_apigatewayv2_integration.this[0].payload_format_version == "2.0" && aws_apigatewayv2_integration.this[0].integration_type == "AWS_PROXY"
    error_message = "The integration must be a Lambda proxy with payload 2.0."
  }

  assert {
    condition = (
      aws_lambda_permission.http_api[0].principal == "apigateway.amazonaws.com" &&
      aws_lambda_permission.http_api[0].action == "lambda:InvokeFunction" &&
      aws_lambda_permission.http_api[0].source_arn == "arn:aws:execute-api:eu-west-1:111111111111:a1b2c3d4e5/*/GET/v1/*"
    )
    error_message = "Only this API's GET /v1/ routes may invoke the function."
  }

  assert {
    condition     = output.url == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com" && output.signing_service == "execute-api"
    error_message = "The url output must be the stage URL without its trailing slash, signed for execute-api."
  }
}

run "allowed_accounts" {
  variables {
    principal_org_id    = null
    allowed_account_ids = ["222222222222", "333333333333"]
  }

  assert {
    condition     = length(aws_lambda_permission.url_org) == 0
    error_message = "No organisation permission without principal_org_id."
  }

  assert {
    condition = toset([for p in aws_lambda_permission.url_account : p.principal]) == toset(["222222222222", "333333333333"]) && alltrue([
      for p in aws_lambda_permission.url_account : p.action == "lambda:InvokeFunctionUrl" && p.function_url_auth_type == "AWS_IAM"
    ])
    error_message = "Each listed account, and only those, may invoke the Function URL with AWS_IAM auth."
  }
}

run "options" {
  variables {
    name                   = "tvm-prod"
    architecture           = "x86_64"
    reserved_concurrency   = 5
    session_tags           = false
    rate_limit             = 0
    policy_ttl             = "5m"
    policy_max_staleness   = "1h"
    source_identity_prefix = "tvm."
    alarm_sns_topic_arn    = "arn:aws:sns:eu-west-1:111111111111:vend-alarms"
    policy_parameter_name  = "/platform/vend/policy"
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 5 && tolist(aws_lambda_function.this.architectures) == tolist(["x86_64"])
    error_message = "Reserved concurrency and architecture must follow the variables."
  }

  assert {
    condition = output.environment == tomap({
      VEND_POLICY_PARAMETER       = "/platform/vend/policy"
      VEND_POLICY_TTL             = "5m"
      VEND_POLICY_MAX_STALENESS   = "1h"
      VEND_SOURCE_IDENTITY_PREFIX = "tvm."
      VEND_SESSION_TAGS           = "false"
      VEND_RATE_LIMIT             = "0"
      VEND_EVENTS_TOPIC_ARN       = "arn:aws:sns:eu-west-1:111111111111:tvm-prod-events"
      VEND_STATE_TABLE            = "tvm-prod-state"
      VEND_REVOCATION_WRITER_PATH = "/vend/"
    })
    error_message = "The environment must follow the variables."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "AssumeProtectedRoles"][0] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    error_message = "Without session tags the TVM must not get sts:TagSession."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "ReadPolicyParameter"][0] == "arn:aws:ssm:eu-west-1:111111111111:parameter/platform/vend/policy"
    error_message = "The parameter statement must follow policy_parameter_name."
  }

  assert {
    condition     = tolist(aws_cloudwatch_metric_alarm.errors[0].alarm_actions) == tolist([var.alarm_sns_topic_arn]) && tolist(aws_cloudwatch_metric_alarm.throttles[0].ok_actions) == tolist([var.alarm_sns_topic_arn])
    error_message = "Alarms must notify the SNS topic."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.policy : tolist(a.alarm_actions) == tolist([var.alarm_sns_topic_arn]) && tolist(a.ok_actions) == tolist([var.alarm_sns_topic_arn])])
    error_message = "The policy alarms must notify the SNS topic when they fire and when they recover."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.policy["policy_stale"].metric_transformation[0].namespace == "vend/tvm-prod"
    error_message = "The policy metrics' namespace must derive from the name variable."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.errors[0].alarm_name == "tvm-prod-errors" && aws_iam_role.this.name == "tvm-prod"
    error_message = "Names must derive from the name variable."
  }
}

run "own_events_topic" {
  variables {
    events_topic_arn = "arn:aws:sns:eu-west-2:222222222222:security-alerts"
  }

  assert {
    condition     = length(aws_sns_topic.events) == 0 && output.environment["VEND_EVENTS_TOPIC_ARN"] == var.events_topic_arn
    error_message = "With a topic of the caller's own the module must create none and point the TVM at it."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "PublishEvents"][0] == var.events_topic_arn
    error_message = "The TVM may publish only to the given topic."
  }
}

run "rate_limit_local_when_state_down" {
  variables {
    rate_limit_when_state_down = "local"
  }

  assert {
    condition     = output.environment["VEND_RATE_LIMIT_WHEN_STATE_DOWN"] == "local"
    error_message = "The fallback must reach the TVM's environment."
  }
}

run "no_state" {
  variables {
    state_enabled = false
  }

  assert {
    condition     = length(aws_dynamodb_table.state) == 0 && length(aws_cloudwatch_event_rule.sweep) == 0 && !contains(keys(output.environment), "VEND_STATE_TABLE") && length(setintersection([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid], ["ReadWriteState", "WriteRevocationPolicies"])) == 0
    error_message = "Without state there is no table, no VEND_STATE_TABLE, no DynamoDB permission and no revocation."
  }
}

run "sweep" {
  assert {
    condition = (aws_cloudwatch_event_rule.sweep[0].schedule_expression == "rate(5 minutes)" &&
      aws_cloudwatch_event_target.sweep[0].arn == "arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm" &&
      aws_lambda_permission.sweep[0].principal == "events.amazonaws.com" &&
    aws_lambda_permission.sweep[0].source_arn == "arn:aws:events:eu-west-1:111111111111:rule/vend-tvm-sweep")
    error_message = "With the state table, EventBridge must invoke the TVM every five minutes for its sweep, and only that rule may."
  }
}

run "no_sweep" {
  variables {
    sweep_schedule = null
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.sweep) == 0 && length(aws_lambda_permission.sweep) == 0
    error_message = "sweep_schedule = null makes no schedule and no permission."
  }
}

run "rejects_bad_sweep_schedule" {
  command = plan

  variables {
    sweep_schedule = "every 5 minutes"
  }

  expect_failures = [var.sweep_schedule]
}

run "no_events" {
  variables {
    events_enabled = false
  }

  assert {
    condition     = length(aws_sns_topic.events) == 0 && !contains(keys(output.environment), "VEND_EVENTS_TOPIC_ARN") && output.events_topic_arn == null
    error_message = "Without events there is no topic and no VEND_EVENTS_TOPIC_ARN."
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid], "PublishEvents")
    error_message = "Without events the TVM may publish nowhere."
  }
}

run "rejects_fifo_events_topic" {
  command = plan
  variables {
    events_topic_arn = "arn:aws:sns:eu-west-1:111111111111:alerts.fifo"
  }
  expect_failures = [var.events_topic_arn]
}

run "no_alarms" {
  variables {
    alarms_enabled = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.errors) == 0 && length(aws_cloudwatch_metric_alarm.throttles) == 0 && length(aws_cloudwatch_metric_alarm.policy) == 0 && length(aws_cloudwatch_log_metric_filter.policy) == 0
    error_message = "alarms_enabled = false must create no alarms and no metric filters."
  }

  assert {
    condition     = output.environment["VEND_POLICY_MAX_STALENESS"] == "15m"
    error_message = "The staleness bound does not depend on the alarms."
  }
}

run "policy_max_staleness_follows_a_long_ttl" {
  variables {
    policy_ttl = "30m"
  }

  assert {
    condition     = output.environment["VEND_POLICY_MAX_STALENESS"] == "30m" && output.environment["VEND_POLICY_TTL"] == "30m"
    error_message = "Without policy_max_staleness the bound must be 15m, or policy_ttl when that is longer, as in the TVM."
  }
}

run "policy_max_staleness_equal_to_ttl" {
  variables {
    policy_ttl           = "1m30s"
    policy_max_staleness = "90s"
  }

  assert {
    condition     = output.environment["VEND_POLICY_MAX_STALENESS"] == "90s"
    error_message = "A bound equal to the TTL (never serve a policy that could not be re-read) must be accepted."
  }
}

run "policy_template" {
  variables {
    policy_file          = "tests/testdata/policy.tmpl.yaml"
    protected_role_arns  = ["arn:aws:iam::111111111111:role/vend/readonly"]
    policy_template_vars = { readonly_role_arn = "arn:aws:iam::111111111111:role/vend/readonly", account_id = "111111111111" }
  }

  assert {
    condition     = strcontains(aws_ssm_parameter.policy.value, "role_arn: arn:aws:iam::111111111111:role/vend/readonly") && strcontains(aws_ssm_parameter.policy.value, "arn:aws:iam::111111111111:user/*")
    error_message = "The policy must be rendered with policy_template_vars."
  }
}

# Validation and preconditions ---------------------------------------------------------

run "rejects_public_invoke" {
  command = plan

  variables {
    principal_org_id    = null
    allowed_account_ids = []
  }

  expect_failures = [var.allowed_account_ids]
}

run "rejects_unknown_frontend" {
  command = plan

  variables {
    frontend = "rest_api"
  }

  expect_failures = [var.frontend]
}

run "rejects_wildcard_protected_role" {
  command = plan

  variables {
    protected_role_arns = ["arn:aws:iam::111111111111:role/vend/*"]
  }

  expect_failures = [var.protected_role_arns]
}

run "rejects_no_protected_role" {
  command = plan

  variables {
    protected_role_arns = []
  }

  expect_failures = [var.protected_role_arns]
}

run "rejects_assumed_role_arn" {
  command = plan

  variables {
    protected_role_arns = ["arn:aws:sts::111111111111:assumed-role/vend/readonly/x"]
  }

  expect_failures = [var.protected_role_arns]
}

run "rejects_bad_architecture" {
  command = plan

  variables {
    architecture = "arm"
  }

  expect_failures = [var.architecture]
}

run "rejects_missing_zip" {
  command = plan

  variables {
    lambda_zip = "tests/testdata/missing.zip"
  }

  expect_failures = [var.lambda_zip]
}

run "rejects_missing_policy_file" {
  command = plan

  variables {
    policy_file = "tests/testdata/missing.yaml"
  }

  expect_failures = [var.policy_file]
}

run "rejects_aws_source_identity_prefix" {
  command = plan

  variables {
    source_identity_prefix = "aws-vend"
  }

  expect_failures = [var.source_identity_prefix]
}

run "rejects_colon_in_source_identity_prefix" {
  command = plan

  variables {
    source_identity_prefix = "vend:"
  }

  expect_failures = [var.source_identity_prefix]
}

run "rejects_bad_org_id" {
  command = plan

  variables {
    principal_org_id = "org-123"
  }

  expect_failures = [var.principal_org_id]
}

run "rejects_bad_account_id" {
  command = plan

  variables {
    allowed_account_ids = ["12345"]
  }

  expect_failures = [var.allowed_account_ids]
}

run "rejects_kms_alias" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:alias/vend"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_zero_reserved_concurrency" {
  command = plan

  variables {
    reserved_concurrency = 0
  }

  expect_failures = [var.reserved_concurrency]
}

run "rejects_bad_retention" {
  command = plan

  variables {
    log_retention_days = 42
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_bad_policy_ttl" {
  command = plan

  variables {
    policy_ttl = "1 minute"
  }

  expect_failures = [var.policy_ttl]
}

run "rejects_sub_second_policy_ttl" {
  command = plan

  variables {
    policy_ttl = "500ms"
  }

  expect_failures = [var.policy_ttl]
}

run "rejects_zero_policy_ttl" {
  command = plan

  variables {
    policy_ttl = "0s"
  }

  expect_failures = [var.policy_ttl]
}

run "rejects_zero_policy_max_staleness" {
  command = plan

  variables {
    policy_max_staleness = "0s"
  }

  expect_failures = [var.policy_max_staleness]
}

run "rejects_policy_max_staleness_off" {
  command = plan

  variables {
    policy_max_staleness = "off"
  }

  expect_failures = [var.policy_max_staleness]
}

run "rejects_sub_second_policy_max_staleness" {
  command = plan

  variables {
    policy_max_staleness = "500ms"
  }

  expect_failures = [var.policy_max_staleness]
}

run "rejects_policy_max_staleness_below_ttl" {
  command = plan

  variables {
    policy_ttl           = "5m"
    policy_max_staleness = "4m59s"
  }

  expect_failures = [var.policy_max_staleness]
}

run "rejects_policy_max_staleness_over_a_day" {
  command = plan

  variables {
    policy_max_staleness = "24h1s"
  }

  expect_failures = [var.policy_max_staleness]
}

run "rejects_long_timeout" {
  command = plan

  variables {
    timeout = 60
  }

  expect_failures = [var.timeout]
}

run "rejects_policy_version" {
  command = plan

  variables {
    policy_file = "tests/testdata/policy-v2.yaml"
  }

  expect_failures = [aws_ssm_parameter.policy]
}

run "rejects_policy_role_not_protected" {
  command = plan

  variables {
    protected_role_arns = ["arn:aws:iam::111111111111:role/vend/readonly"]
  }

  expect_failures = [aws_ssm_parameter.policy]
}

# The founding topology: the TVM in a security account, protected roles in workload
# accounts. The TVM writes a revocation policy of its own account itself and any other
# through that account's vend-revocation-writer role.
run "protected_roles_in_other_accounts" {
  command = plan

  variables {
    protected_role_arns = [
      "arn:aws:iam::111111111111:role/vend/readonly",
      "arn:aws:iam::111111111111:role/vend/deploy",
      "arn:aws:iam::222222222222:role/vend/readonly",
      "arn:aws:iam::222222222222:role/vend/admin",
      "arn:aws:iam::333333333333:role/vend/readonly",
    ]
    revocation_writer_path = "/ops/vend/"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "WriteRevocationPolicies"][0].Resource == ["arn:aws:iam::111111111111:policy/vend-revocation/readonly", "arn:aws:iam::111111111111:policy/vend-revocation/deploy"]
    error_message = "The TVM versions only its own account's revocation policies itself."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "AssumeRevocationWriters"][0] == {
      Sid      = "AssumeRevocationWriters"
      Effect   = "Allow"
      Action   = ["sts:AssumeRole"]
      Resource = ["arn:aws:iam::222222222222:role/ops/vend/vend-revocation-writer", "arn:aws:iam::333333333333:role/ops/vend/vend-revocation-writer"]
    }
    error_message = "The TVM may assume the writer role of each other account holding protected roles, once each."
  }

  assert {
    condition     = output.environment["VEND_REVOCATION_WRITER_PATH"] == "/ops/vend/"
    error_message = "The TVM must learn the writer's path from the environment."
  }
}

run "rejects_bad_revocation_writer_path" {
  command = plan

  variables {
    revocation_writer_path = "vend"
  }

  expect_failures = [var.revocation_writer_path]
}
