data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # The revocation policies of this account's protected roles (the protected-role
  # module's, under /vend-revocation/).
  revocation_policies = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/vend-revocation/*"
}

# IAM has no resource policies, so a TVM in another account cannot version a policy
# here itself: it assumes this role, which may do that and nothing else. The name is
# fixed (revocation.WriterRoleName in internal/revocation): the TVM derives it from the account of the
# protected role, and the guardrails exempt exactly it.
resource "aws_iam_role" "this" {
  name                 = "vend-revocation-writer"
  path                 = var.path
  description          = "Lets the vend TVM write the revocation policies of this account's protected roles, and nothing else."
  permissions_boundary = var.permissions_boundary_arn
  # Enforced from the start, in tag-gated guardrails too: nobody but the TVM has a use
  # for it.
  tags = merge(var.tags, { "vend:protected" = "true", "vend:enforce" = "true" })

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "VendTVM"
        Effect    = "Allow"
        Principal = { AWS = var.tvm_role_arn }
        Action    = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy" "this" {
  name = "write-revocation-policies"
  role = aws_iam_role.this.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteRevocationPolicies"
        Effect   = "Allow"
        Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:ListPolicyVersions"]
        Resource = local.revocation_policies
      },
    ]
  })
}
