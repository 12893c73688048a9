# The org-guardrails module itself, planned with one set of scp.Params.
# TestTerraformRendersLikeGo copies this folder and the module into a scratch tree (so
# the relative source below holds), plans it offline and compares the module's rendered
# documents byte for byte with the Go renderer's. No credential or endpoint is ever used:
# a plan of new resources calls no AWS API.

terraform {
  required_version = ">= 1.9.0"
}

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "plan-only"
  secret_key                  = "plan-only"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

variable "params" {
  type        = any
  description = "A params file of `vend scp render` (scp.Params in JSON). A missing parameter is passed as null, so the module's default applies where Go's would."
}

variable "mode" {
  type        = string
  default     = "enforce"
  description = "The module's mode; audit accepts parameters Go cannot render with (no tvm_function_arn)."
}

variable "tag_gated" {
  type        = bool
  description = "Render the -tagged variants of the protected-role templates."
}

variable "templates_dir" {
  type        = string
  description = "Path of scp/templates, the folder the Go renderer embeds."
}

module "guardrails" {
  source = "../../../terraform/modules/org-guardrails"

  mode          = var.mode
  tag_gated     = var.tag_gated
  target_ids    = ["r-ab12"]
  templates_dir = var.templates_dir

  tvm_role_arns            = try(var.params.tvm_role_arns, null)
  protected_role_path      = try(var.params.protected_role_path, null)
  protected_account_ids    = try(var.params.protected_account_ids, null)
  protected_role_tag_key   = try(var.params.protected_role_tag_key, null)
  protected_role_tag_value = try(var.params.protected_role_tag_value, null)
  deployer_arns            = try(var.params.deployer_arns, null)
  break_glass_arns         = try(var.params.break_glass_arns, null)
  source_identity_prefix   = try(var.params.source_identity_prefix, null)
  tvm_function_arn         = try(var.params.tvm_function_arn, null)
  policy_parameter_arn     = try(var.params.policy_parameter_arn, null)
  org_id                   = try(var.params.org_id, null)
}

# The rendered documents and the template each came from, keyed by the template's path
# below templates_dir (Go's Template.Path).
output "rendered" {
  value = { for k, doc in module.guardrails.rendered_policies : module.guardrails.templates[k] => doc }
}

output "templates" {
  value = values(module.guardrails.templates)
}
