# Plan-level tests of the org-guardrails module against a mocked AWS provider: what each
# mode creates, the policy documents (checked against the Go renderer's golden files in
# scp/testdata/golden), the audit event patterns, the tag-gated switch and every
# validation. Run with `terraform test` in the module folder.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-east-1:111111111111:vend-guardrails-audit"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:us-east-1:111111111111:rule/vend-assume-protected-role"
    }
  }
}

# scp/testdata/params.json, the parameters of the Go golden files.
variables {
  tvm_role_arns         = ["arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"]
  protected_role_path   = "/vend/"
  protected_account_ids = ["222222222222", "333333333333"]
  deployer_arns         = ["arn:aws:iam::111111111111:role/vend-deployer"]
  break_glass_arns      = ["arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_BreakGlass_*"]
  tvm_function_arn      = "arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm"
  policy_parameter_arn  = "arn:aws:ssm:eu-west-1:111111111111:parameter/vend/policy"
  org_id                = "o-abcdef1234"
}

run "audit_by_default" {
  assert {
    condition     = length(aws_organizations_policy.this) == 0 && length(aws_organizations_policy_attachment.this) == 0
    error_message = "Audit mode must not create or attach any organisation policy."
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_event_rule.this)) == toset(["direct", "cross_account"])
    error_message = "Audit mode must create the rule for the caller's copy of the event and the one for the role owner's copy."
  }

  assert {
    condition     = alltrue([for r in aws_cloudwatch_event_rule.this : r.state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"])
    error_message = "AssumeRole is a read-only management event: the rules must be ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS or they never fire."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["direct"].name == "vend-assume-protected-role" && aws_cloudwatch_event_rule.this["cross_account"].name == "vend-assume-protected-role-cross-account"
    error_message = "The rules must be named after name_prefix."
  }

  assert {
    condition     = length(aws_sns_topic.this) == 1 && aws_sns_topic.this[0].name == "vend-guardrails-audit"
    error_message = "Without sns_topic_arn the module must create a topic."
  }

  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.this : t.arn == aws_sns_topic.this[0].arn])
    error_message = "Both rules must deliver to the topic."
  }

  assert {
    condition = jsondecode(aws_sns_topic_policy.this[0].policy).Statement == [{
      Sid       = "AllowGuardrailRules"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.this[0].arn
      Condition = { ArnEquals = { "aws:SourceArn" = [aws_cloudwatch_event_rule.this["cross_account"].arn, aws_cloudwatch_event_rule.this["direct"].arn] } }
    }]
    error_message = "The topic policy must let EventBridge publish, for the module's rules only."
  }

  assert {
    condition     = output.audit_enabled && output.sns_topic_arn == aws_sns_topic.this[0].arn && output.region == "us-east-1"
    error_message = "The outputs must report the audit in this region and its topic."
  }

  assert {
    condition     = length(output.rendered_policies) == 5
    error_message = "With all parameters set, audit mode still renders the documents enforce would deploy, for review."
  }
}

run "direct_pattern" {
  command = plan

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this["direct"].event_pattern) == {
      source        = ["aws.sts"]
      "detail-type" = ["AWS API Call via CloudTrail"]
      detail = {
        eventSource = ["sts.amazonaws.com"]
        eventName   = ["AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"]
        requestParameters = {
          roleArn = [
            { wildcard = "arn:aws:iam::222222222222:role/vend/*" },
            { wildcard = "arn:aws:iam::333333333333:role/vend/*" },
          ]
        }
        "$or" = [
          { userIdentity = { sessionContext = { sessionIssuer = { arn = [{ "anything-but" = ["arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"] }] } } } },
          { userIdentity = { type = [{ "anything-but" = ["AssumedRole", "AWSAccount"] }] } },
        ]
      }
    }
    error_message = "The direct rule must match STS assume calls on protected roles by any role session but the TVM's and by every other kind of identity."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this["cross_account"].event_pattern).detail.userIdentity == {
      type      = ["AWSAccount"]
      accountId = [{ "anything-but" = ["111111111111"] }]
    }
    error_message = "Without role unique IDs the owner's copy must be matched for every caller account except the TVM's."
  }
}

run "all_accounts_and_unique_ids" {
  command = plan

  variables {
    protected_account_ids = []
    protected_role_path   = "/team\\x/"
    tvm_role_unique_ids   = ["AROAEXAMPLEEXAMPLE123"]
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["direct"].event_pattern).detail.requestParameters.roleArn == [{ wildcard = "arn:aws:iam::*:role/team\\\\x/*" }]
    error_message = "Without protected accounts the rules must match the path in any account, with a literal backslash escaped for EventBridge."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this["cross_account"].event_pattern).detail.userIdentity == {
      type        = ["AWSAccount"]
      principalId = [{ "anything-but" = { wildcard = ["AROAEXAMPLEEXAMPLE123:*"] } }]
    }
    error_message = "With role unique IDs the owner's copy must exclude exactly the TVM roles' sessions."
  }
}

run "existing_topic" {
  variables {
    sns_topic_arn = "arn:aws:sns:us-east-1:111111111111:security-alerts"
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_sns_topic_policy.this) == 0
    error_message = "With sns_topic_arn the module must neither create a topic nor touch its policy."
  }

  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.this : t.arn == "arn:aws:sns:us-east-1:111111111111:security-alerts"])
    error_message = "The rules must deliver to the given topic."
  }
}

run "region_not_listed" {
  command = plan

  variables {
    audit_regions = ["eu-west-1", "us-east-1"]
  }

  # The provider of this run is in us-east-1, which is listed: rules are created.
  assert {
    condition     = length(aws_cloudwatch_event_rule.this) == 2
    error_message = "An instance in a listed region must create its rules."
  }
}

run "region_not_listed_creates_nothing" {
  command = plan

  variables {
    audit_regions = ["eu-west-1"]
  }

  # Both assertions of the check fail: us-east-1 is neither listed nor this instance's.
  expect_failures = [check.audit_regions]

  assert {
    condition     = length(aws_cloudwatch_event_rule.this) == 0 && length(aws_sns_topic.this) == 0 && !output.audit_enabled
    error_message = "An instance outside audit_regions must create no audit resources."
  }
}

run "enforce" {
  variables {
    mode       = "enforce"
    target_ids = ["ou-ab12-cdefgh34", "222222222222"]
  }

  assert {
    condition = { for k, p in aws_organizations_policy.this : k => [p.name, p.type] } == {
      "deny-assume-protected-roles-except-tvm"     = ["vend-deny-assume-protected-roles-except-tvm", "SERVICE_CONTROL_POLICY"]
      "deny-vend-source-identity-spoofing"         = ["vend-deny-vend-source-identity-spoofing", "SERVICE_CONTROL_POLICY"]
      "protect-tvm-function-and-role"              = ["vend-protect-tvm-function-and-role", "SERVICE_CONTROL_POLICY"]
      "rcp-deny-assume-protected-roles-except-tvm" = ["vend-rcp-deny-assume-protected-roles-except-tvm", "RESOURCE_CONTROL_POLICY"]
      "rcp-deny-vend-source-identity-spoofing"     = ["vend-rcp-deny-vend-source-identity-spoofing", "RESOURCE_CONTROL_POLICY"]
    }
    error_message = "Enforce mode must create the three SCPs and two RCPs of the untagged set."
  }

  assert {
    condition = alltrue([
      for k, p in aws_organizations_policy.this :
      jsondecode(p.content) == jsondecode(file("../../../scp/testdata/golden/params/${trimprefix(p.name, "vend-")}.json"))
    ])
    error_message = "Every policy must equal the Go renderer's golden document for the same parameters."
  }

  assert {
    condition = [
      for s in jsondecode(aws_organizations_policy.this["deny-assume-protected-roles-except-tvm"].content).Statement : s.Condition.ArnNotLike["aws:PrincipalArn"]
      if s.Sid == "DenyAssumeProtectedRolesExceptTVM"
      ][0] == [
      "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm",
      "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_BreakGlass_*",
    ]
    error_message = "The SCP must exempt exactly the TVM role and break-glass from the AssumeRole deny, with ArnNotLike."
  }

  assert {
    condition = [
      for s in jsondecode(aws_organizations_policy.this["protect-tvm-function-and-role"].content).Statement : s
      if s.Sid == "DenyDirectTVMInvocation"
      ] == [{
        Sid      = "DenyDirectTVMInvocation"
        Effect   = "Deny"
        Action   = ["lambda:InvokeFunction", "lambda:InvokeAsync"]
        Resource = ["arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm", "arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm:*"]
        # BoolIfExists "false" also holds when the key is missing, so a direct invocation
        # without it is denied; no exemption, the deployer included.
        Condition = { BoolIfExists = { "lambda:InvokedViaFunctionUrl" = "false" } }
    }]
    error_message = "The SCP must deny invoking the TVM function, its versions and aliases to everyone unless the call comes through the Function URL."
  }

  assert {
    condition = [
      for s in jsondecode(aws_organizations_policy.this["deny-vend-source-identity-spoofing"].content).Statement : s
      if s.Sid == "DenyIdentityCenterLookalikeRoles"
      ] == [{
        Sid    = "DenyIdentityCenterLookalikeRoles"
        Effect = "Deny"
        Action = ["iam:CreateRole"]
        # IAM's * spans "/", so the second ARN covers every path but "/"; neither matches a
        # name that only contains AWSReservedSSO_. No exemption: Identity Center creates
        # its roles through its service-linked role, which SCPs do not govern.
        Resource = ["arn:aws:iam::*:role/AWSReservedSSO_*", "arn:aws:iam::*:role/*/AWSReservedSSO_*"]
    }]
    error_message = "The SCP must deny creating a role named like an IAM Identity Center role (AWSReservedSSO_*) at any path, to everyone."
  }

  assert {
    condition     = jsondecode(aws_organizations_policy.this["rcp-deny-assume-protected-roles-except-tvm"].content).Statement[0].Principal == "*" && jsondecode(aws_organizations_policy.this["rcp-deny-assume-protected-roles-except-tvm"].content).Statement[0].Resource == ["arn:aws:iam::222222222222:role/vend/*", "arn:aws:iam::333333333333:role/vend/*"]
    error_message = "The RCP must deny for every principal, on the protected roles of the pinned accounts."
  }

  assert {
    condition     = alltrue([for p in aws_organizations_policy.this : p.content == jsonencode(jsondecode(p.content)) && length(p.content) <= 5120])
    error_message = "Policy contents must be minified and within 5,120 characters."
  }

  assert {
    condition = toset([for a in aws_organizations_policy_attachment.this : "${a.policy_id}@${a.target_id}"]) == toset(flatten([
      for p in aws_organizations_policy.this : ["${p.id}@ou-ab12-cdefgh34", "${p.id}@222222222222"]
    ]))
    error_message = "Every policy must be attached to every target."
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.this) == 0 && length(aws_sns_topic.this) == 0 && output.sns_topic_arn == null
    error_message = "Untagged enforce mode needs no audit rules."
  }

  assert {
    condition     = keys(output.policy_ids) == keys(aws_organizations_policy.this) && length(output.attachment_ids) == 10
    error_message = "The outputs must list the policies and their attachments."
  }
}

# The founding layout: SCPs on the OUs holding the TVM and the workloads, RCPs at the
# root.
run "enforce_rcps_elsewhere" {
  command = plan

  variables {
    mode           = "enforce"
    target_ids     = ["ou-ab12-cdefgh34", "ou-ab12-ijklmn56"]
    rcp_target_ids = ["r-ab12"]
  }

  assert {
    condition = toset(keys(aws_organizations_policy_attachment.this)) == toset(concat(
      flatten([for p in ["deny-assume-protected-roles-except-tvm", "deny-vend-source-identity-spoofing", "protect-tvm-function-and-role"] :
      ["${p}/ou-ab12-cdefgh34", "${p}/ou-ab12-ijklmn56"]]),
      ["rcp-deny-assume-protected-roles-except-tvm/r-ab12", "rcp-deny-vend-source-identity-spoofing/r-ab12"],
    ))
    error_message = "Each SCP must be attached to both OUs and each RCP to the root only."
  }
}

run "enforce_without_rcp_targets" {
  command = plan

  variables {
    mode           = "enforce"
    target_ids     = ["ou-ab12-cdefgh34"]
    rcp_target_ids = []
  }

  expect_failures = [var.rcp_target_ids]
}

run "enforce_tag_gated" {
  variables {
    mode       = "enforce"
    tag_gated  = true
    target_ids = ["r-ab12"]
  }

  assert {
    condition = toset([for p in aws_organizations_policy.this : p.name]) == toset([
      "vend-deny-assume-protected-roles-except-tvm-tagged",
      "vend-deny-vend-source-identity-spoofing",
      "vend-protect-tvm-function-and-role",
      "vend-rcp-deny-assume-protected-roles-except-tvm-tagged",
      "vend-rcp-deny-vend-source-identity-spoofing",
    ])
    error_message = "tag_gated must swap both protected-role policies for their -tagged variants and keep the shared ones."
  }

  assert {
    condition = alltrue([
      for k, p in aws_organizations_policy.this :
      jsondecode(p.content) == jsondecode(file("../../../scp/testdata/golden/params/${trimprefix(p.name, "vend-")}.json"))
    ])
    error_message = "Every tag-gated policy must equal the Go renderer's golden document."
  }

  assert {
    condition     = jsondecode(aws_organizations_policy.this["deny-assume-protected-roles-except-tvm"].content).Statement[0].Condition.StringEquals == { "aws:ResourceTag/vend:enforce" = "true" }
    error_message = "The tagged SCP must deny only for roles carrying the enforcement tag."
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_event_rule.this)) == toset(["direct", "cross_account"])
    error_message = "Tag-gated enforcement must keep the audit rules: untagged roles are only watched."
  }

  assert {
    condition     = length(aws_organizations_policy_attachment.this) == 5
    error_message = "Five policies attached to one target."
  }
}

run "enforce_in_another_instance" {
  command = plan

  variables {
    mode            = "enforce"
    create_policies = false
  }

  assert {
    condition     = length(aws_organizations_policy.this) == 0 && length(aws_cloudwatch_event_rule.this) == 0
    error_message = "With create_policies = false an enforce instance creates nothing (the organisation policies belong to another instance)."
  }
}

run "govcloud_renders_like_go" {
  command = plan

  # scp/testdata/params-govcloud.json
  variables {
    tvm_role_arns            = ["arn:aws-us-gov:iam::444455556666:role/vend-tvm", "arn:aws-us-gov:iam::444455556666:role/vend-tvm-canary"]
    protected_role_path      = "/protected/"
    protected_account_ids    = []
    protected_role_tag_key   = "guard"
    protected_role_tag_value = "on"
    deployer_arns            = ["arn:aws-us-gov:iam::444455556666:role/ci/deployer", "arn:aws-us-gov:iam::444455556666:user/release"]
    break_glass_arns         = []
    source_identity_prefix   = "tvm."
    tvm_function_arn         = "arn:aws-us-gov:lambda:us-gov-west-1:444455556666:function:vend"
    policy_parameter_arn     = "arn:aws-us-gov:ssm:us-gov-west-1:444455556666:parameter/vend-policy"
    org_id                   = ""
    tag_gated                = true
  }

  assert {
    condition = alltrue([
      for k, doc in output.rendered_policies :
      jsondecode(doc) == jsondecode(file("../../../scp/testdata/golden/params-govcloud/${trimsuffix(basename(output.templates[k]), ".json")}.json"))
    ]) && length(output.rendered_policies) == 5
    error_message = "The rendered documents must equal the Go renderer's golden files for the GovCloud parameters."
  }

  assert {
    condition = [
      for s in jsondecode(output.rendered_policies["deny-vend-source-identity-spoofing"]).Statement : s.Resource
      if s.Sid == "DenyIdentityCenterLookalikeRoles"
    ] == [["arn:aws-us-gov:iam::*:role/AWSReservedSSO_*", "arn:aws-us-gov:iam::*:role/*/AWSReservedSSO_*"]]
    error_message = "The Identity Center lookalike guard must take the partition of the TVM roles."
  }
}

run "not_rendered_until_complete" {
  command = plan

  variables {
    deployer_arns        = []
    tvm_function_arn     = null
    policy_parameter_arn = null
  }

  assert {
    condition     = length(output.rendered_policies) == 0 && length(aws_cloudwatch_event_rule.this) == 2
    error_message = "Audit mode must work with only the TVM and protected-role parameters, and render nothing until the rest is set."
  }
}

run "policy_too_large" {
  command = plan

  variables {
    mode                  = "enforce"
    target_ids            = ["r-ab12"]
    protected_account_ids = [for i in range(150) : format("%012d", 400000000000 + i)]
  }

  expect_failures = [aws_organizations_policy.this]
}

run "pattern_too_large" {
  command = plan

  variables {
    protected_account_ids = [for i in range(150) : format("%012d", 400000000000 + i)]
  }

  expect_failures = [aws_cloudwatch_event_rule.this]
}

# Validation ----------------------------------------------------------------------------

run "bad_mode" {
  command = plan

  variables {
    mode = "block"
  }

  expect_failures = [var.mode]
}

run "assumed_role_tvm" {
  command = plan

  variables {
    tvm_role_arns = ["arn:aws:sts::111111111111:assumed-role/vend-tvm/session"]
  }

  expect_failures = [var.tvm_role_arns]
}

run "wildcard_tvm" {
  command = plan

  variables {
    tvm_role_arns = ["arn:aws:iam::111111111111:role/vend-*"]
  }

  expect_failures = [var.tvm_role_arns]
}

run "unpinned_tvm_account" {
  command = plan

  variables {
    tvm_role_arns = ["arn:aws:iam::*:role/vend-tvm"]
  }

  expect_failures = [var.tvm_role_arns]
}

run "tvm_inside_protected_path" {
  command = plan

  variables {
    tvm_role_arns         = ["arn:aws:iam::222222222222:role/vend/vend-tvm"]
    protected_account_ids = []
  }

  expect_failures = [var.tvm_role_arns]
}

run "mixed_partitions" {
  command = plan

  variables {
    deployer_arns = ["arn:aws-us-gov:iam::111111111111:role/vend-deployer"]
  }

  expect_failures = [var.tvm_role_arns]
}

run "assumed_role_deployer" {
  command = plan

  variables {
    deployer_arns = ["arn:aws:sts::111111111111:assumed-role/vend-deployer/ci"]
  }

  expect_failures = [var.deployer_arns]
}

run "break_glass_inside_protected_path" {
  command = plan

  variables {
    break_glass_arns = ["arn:aws:iam::333333333333:role/vend/break-glass"]
  }

  expect_failures = [var.break_glass_arns]
}

run "enforce_without_targets" {
  command = plan

  variables {
    mode = "enforce"
  }

  expect_failures = [var.target_ids]
}

run "enforce_without_deployer" {
  command = plan

  variables {
    mode          = "enforce"
    target_ids    = ["r-ab12"]
    deployer_arns = []
  }

  expect_failures = [var.deployer_arns]
}

run "enforce_without_function" {
  command = plan

  variables {
    mode                 = "enforce"
    target_ids           = ["r-ab12"]
    tvm_function_arn     = null
    policy_parameter_arn = null
  }

  expect_failures = [var.tvm_function_arn, var.policy_parameter_arn]
}

run "qualified_function_arn" {
  command = plan

  variables {
    tvm_function_arn = "arn:aws:lambda:eu-west-1:111111111111:function:vend-tvm:live"
  }

  expect_failures = [var.tvm_function_arn]
}

run "bad_targets" {
  command = plan

  variables {
    mode       = "enforce"
    target_ids = ["ou-ab12-cdefgh34", "o-abcdef1234", "ou-ab12-cdefgh34"]
  }

  expect_failures = [var.target_ids]
}

run "bad_path" {
  command = plan

  variables {
    protected_role_path = "/vend*"
  }

  expect_failures = [var.protected_role_path]
}

run "reserved_tag_key" {
  command = plan

  variables {
    protected_role_tag_key = "aws:enforce"
  }

  expect_failures = [var.protected_role_tag_key]
}

run "bad_source_identity_prefix" {
  command = plan

  variables {
    source_identity_prefix = "vend:"
  }

  expect_failures = [var.source_identity_prefix]
}

run "bad_audit_regions" {
  command = plan

  variables {
    audit_regions = ["us-east-1", "Europe"]
  }

  expect_failures = [var.audit_regions]
}

run "bad_unique_id" {
  command = plan

  variables {
    tvm_role_unique_ids = ["arn:aws:iam::111111111111:role/vend-tvm"]
  }

  expect_failures = [var.tvm_role_unique_ids]
}

run "aws_managed_topic_key" {
  command = plan

  variables {
    sns_kms_key_id = "alias/aws/sns"
  }

  expect_failures = [var.sns_kms_key_id]
}

run "bad_org_id" {
  command = plan

  variables {
    org_id = "r-ab12"
  }

  expect_failures = [var.org_id]
}

run "missing_templates" {
  command = plan

  variables {
    mode          = "enforce"
    target_ids    = ["r-ab12"]
    templates_dir = "./no-such-folder"
  }

  expect_failures = [data.aws_region.current]
}
