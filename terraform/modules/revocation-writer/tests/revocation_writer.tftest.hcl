# Plan-level tests of the revocation-writer module against a mocked AWS provider: who
# the role trusts, exactly what it may do, the name and path the TVM and the guardrails
# derive, and input validation. Run with `terraform test` in the module folder.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "222222222222"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  tvm_role_arn = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm"
}

run "trusts_only_the_tvm" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "VendTVM"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm" }
        Action    = "sts:AssumeRole"
      }]
    }
    error_message = "The writer must trust exactly the TVM role."
  }

  assert {
    condition     = aws_iam_role.this.name == "vend-revocation-writer" && aws_iam_role.this.path == "/vend/"
    error_message = "The TVM derives arn:...:role/vend/vend-revocation-writer: the name is fixed and the path defaults to /vend/."
  }

  assert {
    condition     = aws_iam_role.this.tags == tomap({ "vend:protected" = "true", "vend:enforce" = "true" })
    error_message = "The writer is a protected role, enforced from the start."
  }
}

run "writes_only_revocation_policies_of_its_account" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid      = "WriteRevocationPolicies"
        Effect   = "Allow"
        Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:ListPolicyVersions"]
        Resource = "arn:aws:iam::222222222222:policy/vend-revocation/*"
      }]
    }
    error_message = "The writer may version the revocation policies of its own account and nothing else."
  }
}

run "rejects_an_assumed_role_arn" {
  command = plan

  variables {
    tvm_role_arn = "arn:aws:sts::111111111111:assumed-role/vend-tvm/session"
  }

  expect_failures = [var.tvm_role_arn]
}

run "rejects_a_path_without_slashes" {
  command = plan

  variables {
    path = "vend"
  }

  expect_failures = [var.path]
}
