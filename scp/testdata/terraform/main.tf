# Reference derivation for the org-guardrails module. It turns the vend guardrail
# parameters into the template variables exactly as scp.TemplateVars does and renders
# every template with templatefile(). TestTerraformRendersLikeGo applies it (no
# providers, outputs only) and compares both the variables and the rendered documents
# with the Go renderer's.

terraform {
  required_version = ">= 1.5.0"
}

variable "templates_dir" {
  type        = string
  description = "Path of scp/templates."
}

variable "tvm_role_arns" {
  type        = list(string)
  description = "TVM execution role ARNs."
}

variable "protected_role_path" {
  type        = string
  description = "IAM path of the protected roles, such as /vend/."
}

variable "protected_account_ids" {
  type        = list(string)
  default     = []
  description = "Accounts of the protected roles; empty means every account."
}

variable "protected_role_tag_key" {
  type        = string
  default     = "vend:enforce"
  description = "Tag key the tag-gated templates enforce on."
}

variable "protected_role_tag_value" {
  type        = string
  default     = "true"
  description = "Tag value the tag-gated templates enforce on."
}

variable "deployer_arns" {
  type        = list(string)
  description = "Principals allowed to change the TVM."
}

variable "break_glass_arns" {
  type        = list(string)
  default     = []
  description = "Principals allowed into protected roles without the TVM."
}

variable "source_identity_prefix" {
  type        = string
  default     = "vend-"
  description = "Prefix of every SourceIdentity the TVM sets."
}

variable "tvm_function_arn" {
  type        = string
  description = "Unqualified ARN of the TVM function."
}

variable "policy_parameter_arn" {
  type        = string
  description = "ARN of the SSM parameter holding the TVM policy."
}

variable "org_id" {
  type        = string
  default     = ""
  description = "Organisation ID; the templates do not use it."
}

locals {
  partition = split(":", var.tvm_role_arns[0])[1]
  protected_role_arns = [
    for account in(length(var.protected_account_ids) > 0 ? var.protected_account_ids : ["*"]) :
    "arn:${local.partition}:iam::${account}:role${var.protected_role_path}*"
  ]
  template_vars = {
    tvm_role_arns            = var.tvm_role_arns
    assume_exempt_arns       = distinct(concat(var.tvm_role_arns, var.break_glass_arns))
    deployer_arns            = var.deployer_arns
    protected_role_arns      = local.protected_role_arns
    guarded_role_arns        = distinct(concat(var.tvm_role_arns, local.protected_role_arns, var.deployer_arns, var.break_glass_arns))
    tvm_function_arns        = [var.tvm_function_arn, "${var.tvm_function_arn}:*"]
    policy_parameter_arn     = var.policy_parameter_arn
    source_identity_pattern  = "${var.source_identity_prefix}*"
    protected_role_tag_key   = var.protected_role_tag_key
    protected_role_tag_value = var.protected_role_tag_value
    partition                = local.partition
  }
}

output "template_vars" {
  value = local.template_vars
}

output "rendered" {
  value = {
    for f in fileset(var.templates_dir, "{scp,rcp}/*.json") :
    f => templatefile("${var.templates_dir}/${f}", local.template_vars)
  }
}
