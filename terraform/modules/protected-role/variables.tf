variable "name" {
  description = "Name of the protected role. The vend policy refers to it by ARN in a profile's role_arn."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "The name must be 1-64 characters from A-Z, a-z, 0-9 and +=,.@_-."
  }
}

variable "path" {
  description = "IAM path of the role. The organisation guardrails match protected roles by this path, so keep it the same for every protected role."
  type        = string
  default     = "/vend/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.path)) && length(var.path) <= 512
    error_message = "The path must start and end with a slash (for example /vend/) and use only A-Z, a-z, 0-9 and +=,.@_-."
  }
}

variable "description" {
  description = "Description of the role."
  type        = string
  default     = "Protected role: only the vend TVM may assume it."

  validation {
    condition     = length(var.description) <= 1000
    error_message = "The description must be at most 1000 characters."
  }
}

variable "tvm_role_arn" {
  description = "ARN of the TVM's execution role (the tvm module's role_arn output): the only principal this role trusts besides break-glass."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.tvm_role_arn))
    error_message = "The tvm_role_arn must be an IAM role ARN without wildcards, such as arn:aws:iam::111111111111:role/vend-tvm."
  }
}

variable "source_identity_prefix" {
  description = "Prefix of every SourceIdentity the TVM sets (the tvm module's source_identity_prefix). The trust policy refuses any other SourceIdentity from the TVM."
  type        = string
  default     = "vend-"

  validation {
    condition     = can(regex("^[A-Za-z0-9_+=,.@-]{1,16}$", var.source_identity_prefix)) && !startswith(lower(var.source_identity_prefix), "aws")
    error_message = "The source_identity_prefix must be 1-16 characters from A-Z, a-z, 0-9 and _+=,.@- and must not start with \"aws\"."
  }
}

variable "session_tags" {
  description = "Allow the TVM to pass session tags (sts:TagSession). Keep it in line with the tvm module's session_tags."
  type        = bool
  default     = true
}

variable "session_tag_keys" {
  description = "When not empty, the only session tag keys the TVM may pass. Empty allows the keys the TVM chooses."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.session_tag_keys : can(regex("^[A-Za-z0-9_.:/=+@-]{1,128}$", k))])
    error_message = "Each session tag key must be 1-128 characters from A-Z, a-z, 0-9 and _.:/=+@-."
  }
}

variable "break_glass_principal_arns" {
  description = "Optional IAM principals (role or user ARNs) that may assume the role directly in an emergency. They may not set a SourceIdentity that starts with the TVM prefix."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.break_glass_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "Each break-glass principal must be an IAM role or user ARN without wildcards (assumed-role ARNs are not principals)."
  }
}

variable "break_glass_require_mfa" {
  description = "Require MFA for break-glass principals (aws:MultiFactorAuthPresent). Leave false when break-glass principals are roles, which carry no MFA context."
  type        = bool
  default     = false
}

variable "managed_policy_arns" {
  description = "Managed policies to attach (AWS managed or customer managed ARNs)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.managed_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", a))])
    error_message = "Each managed policy must be an IAM policy ARN, such as arn:aws:iam::aws:policy/ReadOnlyAccess."
  }
}

variable "inline_policies" {
  description = "Inline policies to put on the role: policy name => policy JSON."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name, doc in var.inline_policies : can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", name)) && can(jsondecode(doc).Statement)])
    error_message = "Each inline policy needs a name of 1-128 characters from A-Z, a-z, 0-9 and +=,.@_- and a JSON document with a Statement."
  }
}

variable "revocation" {
  description = "Create and attach the role's revocation policy (NAME under /vend-revocation/), which the TVM versions to end sessions it issued to a revoked caller (vend revoke). Without it vend revoke still ends grants, but sessions already issued on this role last until they expire."
  type        = bool
  default     = true
}

variable "permissions_boundary_arn" {
  description = "Optional permissions boundary for the role."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", var.permissions_boundary_arn))
    error_message = "The permissions_boundary_arn must be an IAM policy ARN."
  }
}

variable "enforce" {
  description = "Tag the role vend:enforce=true so that the tag-gated guardrails deny every path to it except the TVM (false: audit only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the role. The module always adds vend:protected=true (and vend:enforce when enforce is true)."
  type        = map(string)
  default     = {}

  validation {
    condition     = !anytrue([for k in keys(var.tags) : startswith(k, "vend:")])
    error_message = "Tag keys starting with vend: are reserved for the module; use the enforce variable instead."
  }
}
