data "aws_region" "current" {
  lifecycle {
    # fileset() finds nothing in a wrong folder, and enforce mode would then create no
    # policy at all without a word: refuse instead.
    precondition {
      condition     = contains([for t in values(local.template_files) : t.kind], "scp") && contains([for t in values(local.template_files) : t.kind], "rcp")
      error_message = "No SCP and RCP templates in ${local.templates_dir}: set templates_dir to the repository's scp/templates folder."
    }
  }
}

locals {
  region = data.aws_region.current.name

  # Template variables, derived exactly as scp.TemplateVars: scp/terraform_test.go plans
  # this module and compares its rendered_policies byte for byte with the Go renderer's.
  # Like TemplateVars, which refuses parameters without a deployer, function or policy
  # parameter, they exist only when can_render (HCL drops the errors of the branch a
  # conditional does not take, such as "${null}:*").
  partition = split(":", var.tvm_role_arns[0])[1]
  protected_role_arns = [
    for account in(length(var.protected_account_ids) > 0 ? var.protected_account_ids : ["*"]) :
    "arn:${local.partition}:iam::${account}:role${var.protected_role_path}*"
  ]
  # The protected roles' revocation policies (the protected-role module's, under
  # /vend-revocation/), which only the TVM may version: the path in every account.
  revocation_policy_arns = ["arn:${local.partition}:iam::*:policy/vend-revocation/*"]
  # ... which only the TVM and the revocation-writer roles it assumes in other accounts
  # may version (an IAM principal versions only its own account's policies).
  revocation_writer_arns = distinct(concat(var.tvm_role_arns, ["arn:${local.partition}:iam::*:role${var.protected_role_path}vend-revocation-writer"]))
  template_vars = local.can_render ? {
    tvm_role_arns            = var.tvm_role_arns
    assume_exempt_arns       = distinct(concat(var.tvm_role_arns, var.break_glass_arns))
    deployer_arns            = var.deployer_arns
    protected_role_arns      = local.protected_role_arns
    guarded_role_arns        = distinct(concat(var.tvm_role_arns, local.protected_role_arns, var.deployer_arns, var.break_glass_arns))
    revocation_policy_arns   = local.revocation_policy_arns
    revocation_writer_arns   = local.revocation_writer_arns
    revocation_pruner_arns   = distinct(concat(local.revocation_writer_arns, var.deployer_arns))
    tvm_function_arns        = [var.tvm_function_arn, "${var.tvm_function_arn}:*"]
    policy_parameter_arn     = var.policy_parameter_arn
    source_identity_pattern  = "${var.source_identity_prefix}*"
    protected_role_tag_key   = var.protected_role_tag_key
    protected_role_tag_value = var.protected_role_tag_value
    partition                = local.partition
  } : null
  # Audit mode needs only the TVM roles and the protected roles; the rest may come later.
  can_render = length(var.deployer_arns) > 0 && var.tvm_function_arn != null && var.policy_parameter_arn != null

  # Template selection, the rule of scp.TemplatesFor: a "-tagged" template is the
  # tag-gated variant of its untagged sibling; templates without a sibling serve both.
  templates_dir = coalesce(var.templates_dir, "${path.module}/../../../scp/templates")
  template_files = {
    for f in fileset(local.templates_dir, "{scp,rcp}/*.json") :
    trimsuffix(basename(f), ".json") => { path = f, kind = dirname(f) }
  }
  # Keyed by the untagged name, so switching tag_gated updates each policy in place
  # rather than replacing it: a target is never left without the policy in between.
  templates = {
    for name, t in local.template_files :
    trimsuffix(name, "-tagged") => merge(t, { name = name })
    if endswith(name, "-tagged") ? var.tag_gated : (contains(keys(local.template_files), "${name}-tagged") ? !var.tag_gated : true)
  }
  # jsonencode(jsondecode()) minifies: AWS counts every character, whitespace included,
  # against the 5,120 limit.
  rendered = local.can_render ? {
    for key, t in local.templates :
    key => jsonencode(jsondecode(templatefile("${local.templates_dir}/${t.path}", local.template_vars)))
  } : {}

  enforce  = var.mode == "enforce" && var.create_policies
  policies = local.enforce ? local.templates : {}
  # SCPs go to target_ids; RCPs to rcp_target_ids, or target_ids when that is null.
  rcp_target_ids = var.rcp_target_ids == null ? var.target_ids : var.rcp_target_ids
  attachments = merge([
    for key, t in local.policies : {
      for target in(t.kind == "rcp" ? local.rcp_target_ids : var.target_ids) :
      "${key}/${target}" => { policy = key, target = target }
    }
  ]...)

  # Audit runs in audit mode and, tag-gated, next to enforcement: untagged roles are then
  # still only watched.
  audit_regions = length(var.audit_regions) > 0 ? var.audit_regions : [local.region]
  audit         = (var.mode == "audit" || var.tag_gated) && contains(local.audit_regions, local.region)
  create_topic  = local.audit && var.sns_topic_arn == null
  topic_arn     = local.audit ? (local.create_topic ? aws_sns_topic.this[0].arn : var.sns_topic_arn) : null

  assume_actions = ["AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"]
  # EventBridge wildcards are "*" (which an IAM path cannot hold) and "\\" for a literal
  # backslash (which it can).
  role_arn_filter = [for a in local.protected_role_arns : { wildcard = replace(a, "\\", "\\\\") }]
  tvm_account_ids = distinct([for a in var.tvm_role_arns : split(":", a)[4]])

  sts_call = {
    source        = ["aws.sts"]
    "detail-type" = ["AWS API Call via CloudTrail"]
  }
  call_detail = {
    eventSource       = ["sts.amazonaws.com"]
    eventName         = local.assume_actions
    requestParameters = { roleArn = local.role_arn_filter }
  }
  # CloudTrail records a cross-account AssumeRole twice. "direct" matches the event in
  # the caller's account, and the only event of a same-account or federated call, where
  # userIdentity names the caller: a role session other than a TVM role, or any other
  # identity (IAM user, root, SAML or web identity user, AWS service). "cross_account"
  # matches the role owner's copy, where userIdentity is only {type = AWSAccount,
  # accountId, principalId}.
  event_patterns = {
    direct = jsonencode(merge(local.sts_call, {
      detail = merge(local.call_detail, {
        "$or" = [
          { userIdentity = { sessionContext = { sessionIssuer = { arn = [{ "anything-but" = var.tvm_role_arns }] } } } },
          { userIdentity = { type = [{ "anything-but" = ["AssumedRole", "AWSAccount"] }] } },
        ]
      })
    }))
    # A role session's principalId is "ROLE_UNIQUE_ID:SESSION_NAME".
    cross_account = length(var.tvm_role_unique_ids) > 0 ? jsonencode(merge(local.sts_call, {
      detail = merge(local.call_detail, {
        userIdentity = {
          type        = ["AWSAccount"]
          principalId = [{ "anything-but" = { wildcard = [for id in var.tvm_role_unique_ids : "${id}:*"] } }]
        }
      })
      })) : jsonencode(merge(local.sts_call, {
      detail = merge(local.call_detail, {
        userIdentity = {
          type      = ["AWSAccount"]
          accountId = [{ "anything-but" = local.tvm_account_ids }]
        }
      })
    }))
  }
  rule_names = {
    direct        = "${var.name_prefix}-assume-protected-role"
    cross_account = "${var.name_prefix}-assume-protected-role-cross-account"
  }
  rule_descriptions = {
    direct        = "vend guardrails (audit): a protected role assumed by a principal other than the TVM, as recorded in the caller's account."
    cross_account = "vend guardrails (audit): a protected role of this account assumed from another account by a principal other than the TVM."
  }
  rules = local.audit ? local.event_patterns : {}
}

# Enforce -------------------------------------------------------------------------------

resource "aws_organizations_policy" "this" {
  for_each = local.policies

  name        = "${var.name_prefix}-${each.value.name}"
  description = "vend guardrail rendered from scp/templates/${each.value.path}."
  type        = each.value.kind == "rcp" ? "RESOURCE_CONTROL_POLICY" : "SERVICE_CONTROL_POLICY"
  content     = local.rendered[each.key]
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = length(local.rendered[each.key]) <= 5120
      error_message = "The rendered policy ${each.value.name} has ${length(local.rendered[each.key])} characters, above the 5,120 AWS accepts. Shorten the ARN lists, or leave protected_account_ids empty so the path protects roles in every account."
    }
  }
}

resource "aws_organizations_policy_attachment" "this" {
  for_each = local.attachments

  policy_id = aws_organizations_policy.this[each.value.policy].id
  target_id = each.value.target
}

# Audit ---------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.rules

  name          = local.rule_names[each.key]
  description   = local.rule_descriptions[each.key]
  event_pattern = each.value
  # AssumeRole is a read-only management event: a rule in plain ENABLED never sees it.
  state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
  tags  = var.tags

  lifecycle {
    precondition {
      condition     = length(each.value) <= 4096
      error_message = "The event pattern of rule ${local.rule_names[each.key]} has ${length(each.value)} characters, above the 4,096 EventBridge accepts. List fewer protected accounts or TVM roles."
    }
  }
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.rules

  rule      = aws_cloudwatch_event_rule.this[each.key].name
  target_id = "sns"
  arn       = local.topic_arn
}

resource "aws_sns_topic" "this" {
  count = local.create_topic ? 1 : 0

  name              = "${var.name_prefix}-guardrails-audit"
  kms_master_key_id = var.sns_kms_key_id
  tags              = var.tags
}

resource "aws_sns_topic_policy" "this" {
  count = local.create_topic ? 1 : 0

  arn = aws_sns_topic.this[0].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowGuardrailRules"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this[0].arn
        Condition = {
          ArnEquals = { "aws:SourceArn" = [for k in sort(keys(local.rules)) : aws_cloudwatch_event_rule.this[k].arn] }
        }
      },
    ]
  })
}

check "audit_regions" {
  assert {
    condition     = !(var.mode == "audit" || var.tag_gated) || contains(local.audit_regions, local.region)
    error_message = "This instance runs in ${local.region}, which audit_regions does not list, so it creates no audit rules."
  }

  assert {
    condition     = !(var.mode == "audit" || var.tag_gated) || contains(local.audit_regions, "us-east-1") || local.partition != "aws"
    error_message = "audit_regions does not list us-east-1, where CloudTrail records every call to the global STS endpoint (sts.amazonaws.com): those assumptions go unseen."
  }
}
