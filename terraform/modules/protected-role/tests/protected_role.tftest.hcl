# Plan-level tests of the protected-role module against a mocked AWS provider: the
# trust policy (who, which actions, which conditions), the tags and paths the
# guardrails match, and input validation. Run with `terraform test` in the module folder.

mock_provider "aws" {
  mock_resource "aws_iam_policy" {
    defaults = {
      arn = "arn:aws:iam::111111111111:policy/vend-revocation/readonly"
    }
  }
}

variables {
  name         = "readonly"
  tvm_role_arn = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"
}

run "trusts_only_the_tvm" {
  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "VendTVMAssumeWithSourceIdentity"
          Effect    = "Allow"
          Principal = { AWS = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm" }
          Action    = ["sts:AssumeRole", "sts:SetSourceIdentity"]
          Condition = { StringLike = { "sts:SourceIdentity" = "vend-*" } }
        },
        {
          Sid       = "VendTVMTagSession"
          Effect    = "Allow"
          Principal = { AWS = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm" }
          Action    = "sts:TagSession"
        },
      ]
    }
    error_message = "By default the role must trust exactly the TVM role, with the SourceIdentity prefix condition, plus sts:TagSession."
  }

  assert {
    condition     = aws_iam_role.this.max_session_duration == 3600
    error_message = "The maximum session duration must be one hour (the role-chaining cap)."
  }

  assert {
    condition     = aws_iam_role.this.path == "/vend/" && aws_iam_role.this.name == "readonly"
    error_message = "The role must use the /vend/ path the guardrails match."
  }

  assert {
    condition     = aws_iam_role.this.tags == tomap({ "vend:protected" = "true" })
    error_message = "The role must carry vend:protected=true and no vend:enforce tag by default."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.this) == 0 && length(aws_iam_role_policy.this) == 0
    error_message = "No permissions unless asked for."
  }
}

run "revocation_policy" {
  assert {
    condition = (aws_iam_policy.revocation[0].name == "readonly" && aws_iam_policy.revocation[0].path == "/vend-revocation/" &&
    aws_iam_role_policy_attachment.revocation[0].role == "readonly")
    error_message = "The revocation policy must be named after the role under /vend-revocation/ (where the TVM looks for it) and attached to the role."
  }

  assert {
    condition = jsondecode(aws_iam_policy.revocation[0].policy).Statement == [{
      Sid       = "VendRevocationsV0"
      Effect    = "Deny"
      Action    = "*"
      Resource  = "*"
      Condition = { DateLessThan = { "aws:TokenIssueTime" = "2000-01-01T00:00:00Z" } }
    }]
    error_message = "The revocation policy must start as vend's empty document: a marker that denies nothing."
  }
}

run "no_revocation" {
  variables {
    revocation = false
  }

  assert {
    condition     = length(aws_iam_policy.revocation) == 0 && length(aws_iam_role_policy_attachment.revocation) == 0 && output.revocation_policy_arn == null
    error_message = "revocation = false makes no revocation policy."
  }
}

run "no_principal_wildcards" {
  variables {
    break_glass_principal_arns = ["arn:aws:iam::111111111111:role/BreakGlass"]
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement :
      alltrue([for p in flatten([s.Principal.AWS]) : !strcontains(p, "*")]) && !contains(keys(s), "NotPrincipal")
    ])
    error_message = "Every statement must name its principals exactly: no wildcards, no NotPrincipal."
  }

  assert {
    condition     = toset(flatten([for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement : s.Principal.AWS])) == toset(["arn:aws:iam::111111111111:role/vend-tvm/vend-tvm", "arn:aws:iam::111111111111:role/BreakGlass"])
    error_message = "Only the TVM role and the break-glass principal may be trusted."
  }
}

run "set_source_identity_needs_the_prefix" {
  variables {
    source_identity_prefix = "tvm."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement :
      s.Condition.StringLike["sts:SourceIdentity"] == "tvm.*"
      if contains(flatten([s.Action]), "sts:SetSourceIdentity") && s.Principal.AWS == var.tvm_role_arn
    ])
    error_message = "The TVM may set a SourceIdentity only with its prefix."
  }
}

run "break_glass" {
  variables {
    break_glass_principal_arns = ["arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:role/BreakGlass"]
    break_glass_require_mfa    = true
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement : s if s.Sid == "BreakGlassAssume"][0] == {
      Sid       = "BreakGlassAssume"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:role/BreakGlass"] }
      Action    = "sts:AssumeRole"
      Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } }
    }
    error_message = "Break-glass principals may assume the role, with MFA when required."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement : s if s.Sid == "BreakGlassSourceIdentityNotVend"][0].Condition == {
      StringNotLike = { "sts:SourceIdentity" = "vend-*" }
      Bool          = { "aws:MultiFactorAuthPresent" = "true" }
    }
    error_message = "Break-glass sessions must not pose as TVM-vended sessions."
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement : contains(flatten([s.Action]), "sts:TagSession") && s.Principal.AWS != var.tvm_role_arn])
    error_message = "Only the TVM may tag sessions."
  }
}

run "no_session_tags" {
  variables {
    session_tags = false
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement : contains(flatten([s.Action]), "sts:TagSession")])
    error_message = "session_tags = false must remove sts:TagSession."
  }
}

run "session_tag_keys" {
  variables {
    session_tag_keys = ["vend-request-id", "vend-rule", "vend-profile"]
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement : s.Condition if s.Sid == "VendTVMTagSession"][0] == {
      "ForAllValues:StringEquals" = { "aws:TagKeys" = ["vend-request-id", "vend-rule", "vend-profile"] }
    }
    error_message = "The TVM may pass only the listed tag keys."
  }
}

run "permissions_and_enforce" {
  variables {
    path                = "/vend/prod/"
    enforce             = true
    tags                = { team = "platform" }
    managed_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    inline_policies = {
      deny-iam = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Deny", Action = "iam:*", Resource = "*" }] })
    }
  }

  assert {
    condition     = aws_iam_role.this.tags == tomap({ team = "platform", "vend:protected" = "true", "vend:enforce" = "true" })
    error_message = "enforce must add vend:enforce=true next to vend:protected and the caller's tags."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.this["arn:aws:iam::aws:policy/ReadOnlyAccess"].role == "readonly"
    error_message = "Managed policies must be attached to the role."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this["deny-iam"].policy).Statement[0].Effect == "Deny"
    error_message = "Inline policies must be put on the role as given."
  }
}

# Validation ---------------------------------------------------------------------------

run "rejects_wildcard_tvm_role" {
  command = plan

  variables {
    tvm_role_arn = "arn:aws:iam::111111111111:role/*"
  }

  expect_failures = [var.tvm_role_arn]
}

run "rejects_assumed_role_tvm_arn" {
  command = plan

  variables {
    tvm_role_arn = "arn:aws:sts::111111111111:assumed-role/vend-tvm/vend-tvm"
  }

  expect_failures = [var.tvm_role_arn]
}

run "rejects_wildcard_break_glass" {
  command = plan

  variables {
    break_glass_principal_arns = ["arn:aws:iam::111111111111:role/*"]
  }

  expect_failures = [var.break_glass_principal_arns]
}

run "rejects_bad_path" {
  command = plan

  variables {
    path = "vend"
  }

  expect_failures = [var.path]
}

run "rejects_bad_name" {
  command = plan

  variables {
    name = "read only"
  }

  expect_failures = [var.name]
}

run "rejects_aws_prefix" {
  command = plan

  variables {
    source_identity_prefix = "AWS"
  }

  expect_failures = [var.source_identity_prefix]
}

run "rejects_reserved_tags" {
  command = plan

  variables {
    tags = { "vend:protected" = "false" }
  }

  expect_failures = [var.tags]
}

run "rejects_bad_inline_policy" {
  command = plan

  variables {
    inline_policies = { broken = "{not json" }
  }

  expect_failures = [var.inline_policies]
}

run "rejects_bad_managed_policy" {
  command = plan

  variables {
    managed_policy_arns = ["ReadOnlyAccess"]
  }

  expect_failures = [var.managed_policy_arns]
}
