variable "tvm_role_arn" {
  description = "ARN of the TVM's execution role (the tvm module's role_arn output), in its own account: the only principal this role trusts."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.tvm_role_arn))
    error_message = "The tvm_role_arn must be an IAM role ARN without wildcards, such as arn:aws:iam::111111111111:role/vend-tvm."
  }
}

variable "path" {
  description = "IAM path of the role: the tvm module's revocation_writer_path, and the protected roles' path so that the guardrails let only the TVM assume it."
  type        = string
  default     = "/vend/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.path)) && length(var.path) <= 512
    error_message = "The path must start and end with a slash (for example /vend/) and use only A-Z, a-z, 0-9 and +=,.@_-."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary to set on the role, or null."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}
