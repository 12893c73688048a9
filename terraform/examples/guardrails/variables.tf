# The guardrail parameters carry the names of scp.Params, so `terraform apply
# -var-file=params.json` takes the same file as `vend scp render --params params.json`.
# Null, the default of every optional input, leaves the module's default; the module
# validates every value.

variable "endpoint" {
  description = "Local AWS endpoint (moto_server, http://127.0.0.1:PORT) for trying the example without an organisation. Null deploys to real AWS with the normal credential chain."
  type        = string
  default     = null

  validation {
    condition     = var.endpoint == null || can(regex("^https?://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?/?$", var.endpoint))
    error_message = "The endpoint must be a loopback URL such as http://127.0.0.1:5000."
  }
}

variable "mode" {
  description = "audit or enforce (see the module)."
  type        = string
  default     = null
}

variable "tag_gated" {
  description = "Enforce only on protected roles tagged protected_role_tag_key = protected_role_tag_value, and keep auditing."
  type        = bool
  default     = null
}

variable "target_ids" {
  description = "Roots, OUs and accounts to attach the policies to in enforce mode."
  type        = list(string)
  default     = null
}

variable "tvm_role_unique_ids" {
  description = "Unique IDs (AROA...) of the TVM roles, so the role owner's copy of a cross-account event tells the TVM from other roles of its account."
  type        = list(string)
  default     = null
}

# scp.Params ----------------------------------------------------------------------------

variable "tvm_role_arns" {
  description = "TVM execution role ARNs."
  type        = list(string)
}

variable "protected_role_path" {
  description = "IAM path of the protected roles."
  type        = string
  default     = null
}

variable "protected_account_ids" {
  description = "Accounts holding protected roles; empty means every account."
  type        = list(string)
  default     = null
}

variable "protected_role_tag_key" {
  description = "Enforcement tag key for the tag-gated policies."
  type        = string
  default     = null
}

variable "protected_role_tag_value" {
  description = "Enforcement tag value for the tag-gated policies."
  type        = string
  default     = null
}

variable "deployer_arns" {
  description = "Principals allowed to change the TVM (required to enforce)."
  type        = list(string)
  default     = null
}

variable "break_glass_arns" {
  description = "Principals allowed into protected roles without the TVM."
  type        = list(string)
  default     = null
}

variable "source_identity_prefix" {
  description = "Prefix of every SourceIdentity the TVM sets."
  type        = string
  default     = null
}

variable "tvm_function_arn" {
  description = "Unqualified TVM function ARN (required to enforce)."
  type        = string
  default     = null
}

variable "policy_parameter_arn" {
  description = "ARN of the SSM parameter holding the TVM policy (required to enforce)."
  type        = string
  default     = null
}

variable "org_id" {
  description = "Organisation ID; the policies do not use it."
  type        = string
  default     = null
}
