# The guardrail parameters carry the names of scp.Params, so `terraform apply
# -var-file=params.json` takes the same file as `vend scp render --params params.json`.
# The module validates them.

variable "endpoint" {
  description = "Local AWS endpoint (moto_server, http://127.0.0.1:PORT) for trying the example without an organisation. Null deploys to real AWS with the normal credential chain."
  type        = string
  default     = null

  validation {
    condition     = var.endpoint == null || can(regex("^https?://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?/?$", var.endpoint))
    error_message = "The endpoint must be a loopback URL such as http://127.0.0.1:5000."
  }
}

variable "region" {
  description = "Primary region: it holds the organisation policies and watches AssumeRole calls recorded there. Keep us-east-1, where CloudTrail records calls to the global STS endpoint."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region must be an AWS region name such as us-east-1."
  }
}

variable "secondary_region" {
  description = "Second region to watch, for callers that use its regional STS endpoint. Add an instance (and a provider alias) per further region."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.secondary_region)) && var.secondary_region != var.region
    error_message = "The secondary_region must be an AWS region name such as eu-west-1, other than region."
  }
}

variable "mode" {
  description = "audit or enforce (see the module)."
  type        = string
  default     = "audit"
}

variable "tag_gated" {
  description = "Enforce only on protected roles tagged protected_role_tag_key = protected_role_tag_value, and keep auditing."
  type        = bool
  default     = false
}

variable "target_ids" {
  description = "Roots, OUs and accounts to attach the policies to in enforce mode."
  type        = list(string)
  default     = []
}

variable "name_prefix" {
  description = "Prefix of every created name."
  type        = string
  default     = "vend"
}

variable "tvm_role_unique_ids" {
  description = "Unique IDs (AROA...) of the TVM roles, so the role owner's copy of a cross-account event tells the TVM from other roles of its account."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every created resource."
  type        = map(string)
  default     = { project = "vend" }
}

# scp.Params ----------------------------------------------------------------------------

variable "tvm_role_arns" {
  description = "TVM execution role ARNs."
  type        = list(string)
}

variable "protected_role_path" {
  description = "IAM path of the protected roles."
  type        = string
  default     = "/vend/"
}

variable "protected_account_ids" {
  description = "Accounts holding protected roles; empty means every account."
  type        = list(string)
  default     = []
}

variable "protected_role_tag_key" {
  description = "Enforcement tag key for the tag-gated policies."
  type        = string
  default     = "vend:enforce"
}

variable "protected_role_tag_value" {
  description = "Enforcement tag value for the tag-gated policies."
  type        = string
  default     = "true"
}

variable "deployer_arns" {
  description = "Principals allowed to change the TVM (required to enforce)."
  type        = list(string)
  default     = []
}

variable "break_glass_arns" {
  description = "Principals allowed into protected roles without the TVM."
  type        = list(string)
  default     = []
}

variable "source_identity_prefix" {
  description = "Prefix of every SourceIdentity the TVM sets."
  type        = string
  default     = "vend-"
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
  default     = ""
}
