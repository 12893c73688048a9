locals {
  # One wildcard so that every SourceIdentity the TVM derives from the caller matches,
  # and nothing else does.
  source_identity_pattern = "${var.source_identity_prefix}*"

  tvm_statements = [
    {
      # AssumeRole and SetSourceIdentity share the condition: a TVM request without a
      # SourceIdentity carrying the prefix has no sts:SourceIdentity key and is refused,
      # so every session on this role can be traced to a verified caller.
      Sid       = "VendTVMAssumeWithSourceIdentity"
      Effect    = "Allow"
      Principal = { AWS = var.tvm_role_arn }
      Action    = ["sts:AssumeRole", "sts:SetSourceIdentity"]
      Condition = {
        StringLike = { "sts:SourceIdentity" = local.source_identity_pattern }
      }
    },
  ]

  tag_statements = [for s in [
    merge(
      {
        Sid       = "VendTVMTagSession"
        Effect    = "Allow"
        Principal = { AWS = var.tvm_role_arn }
        Action    = "sts:TagSession"
      },
      length(var.session_tag_keys) == 0 ? {} : {
        Condition = {
          "ForAllValues:StringEquals" = { "aws:TagKeys" = var.session_tag_keys }
        }
      },
    ),
  ] : s if var.session_tags]

  break_glass_condition = var.break_glass_require_mfa ? {
    Bool = { "aws:MultiFactorAuthPresent" = "true" }
  } : null

  break_glass_statements = [for s in [
    merge(
      {
        Sid       = "BreakGlassAssume"
        Effect    = "Allow"
        Principal = { AWS = var.break_glass_principal_arns }
        Action    = "sts:AssumeRole"
      },
      local.break_glass_condition == null ? {} : { Condition = local.break_glass_condition },
    ),
    {
      # A break-glass session may name itself, but never like a TVM-vended session: the
      # guardrails and CloudTrail readers rely on the prefix meaning "went through vend".
      Sid       = "BreakGlassSourceIdentityNotVend"
      Effect    = "Allow"
      Principal = { AWS = var.break_glass_principal_arns }
      Action    = "sts:SetSourceIdentity"
      Condition = merge(
        { StringNotLike = { "sts:SourceIdentity" = local.source_identity_pattern } },
        local.break_glass_condition == null ? {} : local.break_glass_condition,
      )
    },
  ] : s if length(var.break_glass_principal_arns) > 0]

  assume_role_policy = {
    Version   = "2012-10-17"
    Statement = concat(local.tvm_statements, local.tag_statements, local.break_glass_statements)
  }

  tags = merge(
    var.tags,
    { "vend:protected" = "true" },
    var.enforce ? { "vend:enforce" = "true" } : {},
  )
}

resource "aws_iam_role" "this" {
  name                 = var.name
  path                 = var.path
  description          = var.description
  assume_role_policy   = jsonencode(local.assume_role_policy)
  permissions_boundary = var.permissions_boundary_arn

  # The TVM's AssumeRole is role chaining (a Lambda holds role-session credentials),
  # which STS caps at one hour whatever this says; a longer maximum would only widen
  # what break-glass sessions can ask for.
  max_session_duration = 3600

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = toset(var.managed_policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = each.value
}

resource "aws_iam_role_policy" "this" {
  for_each = var.inline_policies

  name   = each.key
  role   = aws_iam_role.this.id
  policy = each.value
}

# The revocation policy: the TVM versions it to deny sessions it already issued to a
# revoked caller (aws:SourceIdentity, aws:TokenIssueTime). It starts with one statement
# that denies nothing; Terraform creates and deletes it and never resets what the TVM
# wrote.
resource "aws_iam_policy" "revocation" {
  count = var.revocation ? 1 : 0

  name        = aws_iam_role.this.name
  path        = "/vend-revocation/"
  description = "vend: revoked sessions of ${aws_iam_role.this.name}. Written by the TVM only."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "VendRevocationsV0"
      Effect    = "Deny"
      Action    = "*"
      Resource  = "*"
      Condition = { DateLessThan = { "aws:TokenIssueTime" = "2000-01-01T00:00:00Z" } }
    }]
  })
  tags = var.tags

  lifecycle {
    ignore_changes = [policy]
  }
}

resource "aws_iam_role_policy_attachment" "revocation" {
  count = var.revocation ? 1 : 0

  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.revocation[0].arn
}
