# The guardrail parameters carry the JSON names of the Go type scp.Params, so one params
# file serves `vend scp render` and `terraform apply -var-file` alike. Their validations
# mirror scp.Params.Validate: a value Go refuses must not reach an organisation policy.

variable "mode" {
  description = "audit: EventBridge rules report every assumption of a protected role not made by the TVM to SNS, nothing is denied. enforce: the SCPs and RCPs from scp/templates are created and attached to target_ids."
  type        = string
  default     = "audit"
  nullable    = false

  validation {
    condition     = contains(["audit", "enforce"], var.mode)
    error_message = "The mode must be \"audit\" or \"enforce\"."
  }
}

variable "tag_gated" {
  description = "Deploy the -tagged variants of the protected-role policies, which deny only for roles carrying protected_role_tag_key = protected_role_tag_value, so roles move from audit to enforce one at a time. The audit rules stay in place in this mode, since untagged roles are still only watched."
  type        = bool
  default     = false
  nullable    = false
}

variable "create_policies" {
  description = "Create and attach the organisation policies when mode is enforce. Organizations is global: when you deploy one instance of this module per region, set it to true in exactly one of them."
  type        = bool
  default     = true
  nullable    = false
}

variable "target_ids" {
  description = "Roots (r-...), OUs (ou-...) and accounts (12 digits) to attach every SCP and RCP to. Required when this instance enforces. Each target takes at most 5 SCPs and 5 RCPs, the AWS-managed FullAWSAccess and RCPFullAWSAccess included; this module attaches 3 SCPs and 2 RCPs."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for t in var.target_ids : can(regex("^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|[0-9]{12})$", t))])
    error_message = "Each target_ids entry must be a root ID (r-...), an OU ID (ou-...-...) or a 12-digit account ID."
  }

  validation {
    condition     = length(distinct(var.target_ids)) == length(var.target_ids)
    error_message = "The target_ids must not repeat a target."
  }

  validation {
    condition     = var.mode != "enforce" || !var.create_policies || length(var.target_ids) > 0
    error_message = "Enforce mode needs at least one target in target_ids (an OU, an account or the root): a policy attached nowhere protects nothing."
  }
}

variable "rcp_target_ids" {
  description = "Roots, OUs and accounts to attach the RCPs to instead of target_ids, such as the root while the SCPs go to the OUs that hold the TVM and the workloads. Null attaches the RCPs to target_ids as well."
  type        = list(string)
  default     = null

  validation {
    condition     = var.rcp_target_ids == null || alltrue([for t in coalesce(var.rcp_target_ids, []) : can(regex("^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|[0-9]{12})$", t))])
    error_message = "Each rcp_target_ids entry must be a root ID (r-...), an OU ID (ou-...-...) or a 12-digit account ID."
  }

  validation {
    condition     = var.rcp_target_ids == null || length(distinct(coalesce(var.rcp_target_ids, []))) == length(coalesce(var.rcp_target_ids, []))
    error_message = "The rcp_target_ids must not repeat a target."
  }

  validation {
    condition     = var.rcp_target_ids == null || var.mode != "enforce" || !var.create_policies || length(coalesce(var.rcp_target_ids, [])) > 0
    error_message = "Enforce mode needs at least one RCP target: give rcp_target_ids a target, or null to use target_ids."
  }
}

variable "templates_dir" {
  description = "Folder holding the scp/ and rcp/ policy templates. Null means the repository's scp/templates next to this module (../../../scp/templates), the one source of truth the Go renderer embeds."
  type        = string
  default     = null
}

# Guardrail parameters (scp.Params) ---------------------------------------------------

variable "tvm_role_arns" {
  description = "Execution roles of the TVM functions, the only principals allowed into protected roles: role ARNs with their path (arn:aws:iam::ACCOUNT:role/PATH/NAME), never assumed-role ARNs."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.tvm_role_arns) > 0
    error_message = "At least one TVM role ARN is required."
  }

  validation {
    condition     = !anytrue([for a in var.tvm_role_arns : can(regex("^arn:[^:]+:sts::[^:]*:assumed-role/", a))])
    error_message = "The tvm_role_arns must be role ARNs, not assumed-role session ARNs: aws:PrincipalArn of a role session is the role ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME)."
  }

  validation {
    condition     = alltrue([for a in var.tvm_role_arns : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([!-)+->@-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}$", a))])
    error_message = "Each tvm_role_arns entry must be an IAM role ARN with a pinned 12-digit account and no wildcards, such as arn:aws:iam::111111111111:role/vend-tvm/vend-tvm."
  }

  validation {
    condition     = length(distinct(var.tvm_role_arns)) == length(var.tvm_role_arns)
    error_message = "The tvm_role_arns must not repeat an ARN."
  }

  validation {
    # The policies take the partition of the protected roles from the first TVM role.
    condition = length(distinct([
      for a in concat(var.tvm_role_arns, var.deployer_arns, var.break_glass_arns, compact([var.tvm_function_arn, var.policy_parameter_arn])) :
      try(split(":", a)[1], "")
    ])) <= 1
    error_message = "All ARNs (tvm_role_arns, deployer_arns, break_glass_arns, tvm_function_arn, policy_parameter_arn) must be in one partition."
  }

  validation {
    # The Lambda service could not assume a TVM role that the RCP protects.
    condition = !anytrue([
      for a in var.tvm_role_arns :
      startswith(try(split(":", a)[5], ""), "role${var.protected_role_path}") &&
      (length(var.protected_account_ids) == 0 || contains(var.protected_account_ids, try(split(":", a)[4], "")))
    ])
    error_message = "A TVM role lies inside the protected roles (under protected_role_path in a protected account); give it a path outside protected_role_path."
  }
}

variable "protected_role_path" {
  description = "IAM path that marks protected roles, such as /vend/ (the protected-role module's path). The TVM, deployer and break-glass roles must live outside it."
  type        = string
  default     = "/vend/"
  nullable    = false

  validation {
    condition     = can(regex("^/([!-)+->@-~]+/)?$", var.protected_role_path)) && length(var.protected_role_path) <= 512
    error_message = "The protected_role_path must be an IAM path: it starts and ends with \"/\" (for example /vend/), has at most 512 printable ASCII characters and no wildcards."
  }
}

variable "protected_account_ids" {
  description = "Accounts holding protected roles; each policy pins them. Empty protects the path in every account the policies apply to (keep it empty beyond about 70 accounts, or the documents exceed 5,120 characters)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.protected_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "Each protected_account_ids entry must be a 12-digit account ID."
  }

  validation {
    condition     = length(distinct(var.protected_account_ids)) == length(var.protected_account_ids)
    error_message = "The protected_account_ids must not repeat an account."
  }
}

variable "protected_role_tag_key" {
  description = "Tag key the tag-gated policies enforce on (the protected-role module sets vend:enforce when its enforce input is true)."
  type        = string
  default     = "vend:enforce"
  nullable    = false

  validation {
    # Spliced into a JSON string by the templates, which Terraform does not escape.
    condition     = can(regex("^[A-Za-z0-9 _.:/=+@-]{1,128}$", var.protected_role_tag_key)) && !startswith(lower(var.protected_role_tag_key), "aws:")
    error_message = "The protected_role_tag_key must have 1-128 characters from letters, digits, spaces and _ . : / = + - @, and must not start with \"aws:\"."
  }
}

variable "protected_role_tag_value" {
  description = "Tag value the tag-gated policies enforce on."
  type        = string
  default     = "true"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9 _.:/=+@-]{0,256}$", var.protected_role_tag_value))
    error_message = "The protected_role_tag_value must have at most 256 characters from letters, digits, spaces and _ . : / = + - @."
  }
}

variable "deployer_arns" {
  description = "Pipeline principals (IAM role or user ARNs, account pinned, wildcards allowed after role/) that may change the TVM function, its role, the protected roles and the policy parameter. Required when this instance enforces (mode enforce, create_policies true): without one nobody could update the TVM."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = var.mode != "enforce" || !var.create_policies || length(var.deployer_arns) > 0
    error_message = "Enforce mode needs at least one deployer_arns entry: without one nobody could ever update the TVM."
  }

  validation {
    condition     = !anytrue([for a in var.deployer_arns : can(regex("^arn:[^:]+:sts::[^:]*:assumed-role/", a))])
    error_message = "The deployer_arns must be role or user ARNs, not assumed-role session ARNs (aws:PrincipalArn of a role session is the role ARN)."
  }

  validation {
    condition     = alltrue([for a in var.deployer_arns : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/([!-~]*/)?([A-Za-z0-9+=,.@_-]{1,64}|[!-.0-~]*[*?][!-.0-~]*)$", a))])
    error_message = "Each deployer_arns entry must be an IAM role or user ARN with a pinned 12-digit account, such as arn:aws:iam::111111111111:role/vend-deployer."
  }

  validation {
    condition = !anytrue([
      for a in var.deployer_arns :
      startswith(try(split(":", a)[5], ""), "role${var.protected_role_path}") &&
      (length(var.protected_account_ids) == 0 || contains(var.protected_account_ids, try(split(":", a)[4], "")))
    ])
    error_message = "A deployer role lies inside the protected roles; it could then only be entered through the TVM. Give it a path outside protected_role_path."
  }
}

variable "break_glass_arns" {
  description = "Principals (IAM role or user ARNs, account pinned, wildcards allowed after role/) that may assume protected roles without the TVM. The audit rules still report them."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = !anytrue([for a in var.break_glass_arns : can(regex("^arn:[^:]+:sts::[^:]*:assumed-role/", a))])
    error_message = "The break_glass_arns must be role or user ARNs, not assumed-role session ARNs (aws:PrincipalArn of a role session is the role ARN)."
  }

  validation {
    condition     = alltrue([for a in var.break_glass_arns : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/([!-~]*/)?([A-Za-z0-9+=,.@_-]{1,64}|[!-.0-~]*[*?][!-.0-~]*)$", a))])
    error_message = "Each break_glass_arns entry must be an IAM role or user ARN with a pinned 12-digit account, such as arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_BreakGlass_*."
  }

  validation {
    condition = !anytrue([
      for a in var.break_glass_arns :
      startswith(try(split(":", a)[5], ""), "role${var.protected_role_path}") &&
      (length(var.protected_account_ids) == 0 || contains(var.protected_account_ids, try(split(":", a)[4], "")))
    ])
    error_message = "A break-glass role lies inside the protected roles; it could then only be entered through the TVM. Give it a path outside protected_role_path."
  }
}

variable "source_identity_prefix" {
  description = "Prefix of every SourceIdentity the TVM sets (the tvm module's source_identity_prefix); only the TVM may set one that starts with it."
  type        = string
  default     = "vend-"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_+=,.@-]{1,63}$", var.source_identity_prefix))
    error_message = "The source_identity_prefix must have 1-63 characters from A-Z, a-z, 0-9 and _+=,.@-."
  }
}

variable "tvm_function_arn" {
  description = "Unqualified ARN of the TVM function (the tvm module's function_arn). Required when this instance enforces."
  type        = string
  default     = null

  validation {
    condition     = var.mode != "enforce" || !var.create_policies || var.tvm_function_arn != null
    error_message = "Enforce mode needs tvm_function_arn: the policies protect the TVM function from changes."
  }

  validation {
    condition     = var.tvm_function_arn == null || can(regex("^arn:aws(-[a-z]+)*:lambda:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}$", var.tvm_function_arn))
    error_message = "The tvm_function_arn must be an unqualified Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME, no version or alias)."
  }
}

variable "policy_parameter_arn" {
  description = "ARN of the SSM parameter holding the TVM's access policy (the tvm module's policy_parameter_arn). Required when this instance enforces."
  type        = string
  default     = null

  validation {
    condition     = var.mode != "enforce" || !var.create_policies || var.policy_parameter_arn != null
    error_message = "Enforce mode needs policy_parameter_arn: the policies protect the TVM's access policy from writes."
  }

  validation {
    condition     = var.policy_parameter_arn == null || can(regex("^arn:aws(-[a-z]+)*:ssm:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:parameter/[A-Za-z0-9_./-]+$", var.policy_parameter_arn))
    error_message = "The policy_parameter_arn must be an SSM parameter ARN without wildcards (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)."
  }
}

variable "org_id" {
  description = "Organisation ID (o-...). The policies do not use it; it is accepted so that a params file of `vend scp render` applies unchanged."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.org_id == "" || can(regex("^o-[a-z0-9]{10,32}$", var.org_id))
    error_message = "The org_id must be empty or an organisation ID (o- and 10 to 32 lowercase letters or digits)."
  }
}

# Audit ---------------------------------------------------------------------------------

variable "audit_regions" {
  description = "Regions to watch. CloudTrail records an STS call in the region of the endpoint used (us-east-1 for the global endpoint), and EventBridge rules are regional, so deploy one instance of this module per listed region (see examples/guardrails); an instance creates its rules only when its provider's region is listed. Empty means the provider's region."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for r in var.audit_regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", r))])
    error_message = "Each audit_regions entry must be a region name such as us-east-1."
  }

  validation {
    condition     = length(distinct(var.audit_regions)) == length(var.audit_regions)
    error_message = "The audit_regions must not repeat a region."
  }
}

variable "tvm_role_unique_ids" {
  description = "Unique IDs (AROA...) of the TVM roles. The role owner's copy of a cross-account AssumeRole event names the caller only by account and principal ID; with these the rules tell the TVM from other roles of its account. Empty: such copies are reported unless the caller's account is a TVM account, whose own copy is then the one that reports a non-TVM caller (deploy the module in the TVM account too)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.tvm_role_unique_ids : can(regex("^AROA[0-9A-Z]{12,124}$", id))])
    error_message = "Each tvm_role_unique_ids entry must be a role unique ID (AROA followed by uppercase letters and digits), as aws iam get-role prints in RoleId."
  }
}

variable "sns_topic_arn" {
  description = "Existing SNS topic (in the same region) to deliver audit findings to. Its policy must allow events.amazonaws.com sns:Publish from the rule_arns. Null creates a topic with such a policy."
  type        = string
  default     = null

  validation {
    condition     = var.sns_topic_arn == null || can(regex("^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.sns_topic_arn))
    error_message = "The sns_topic_arn must be a standard SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)."
  }
}

variable "sns_kms_key_id" {
  description = "KMS key (ID, ARN or alias of a customer managed key) to encrypt the created topic with. Its key policy must let events.amazonaws.com use kms:GenerateDataKey and kms:Decrypt; the AWS managed alias/aws/sns cannot, so EventBridge could not publish. Null leaves the topic unencrypted."
  type        = string
  default     = null

  validation {
    condition     = var.sns_kms_key_id == null || !can(regex("alias/aws/", var.sns_kms_key_id))
    error_message = "The sns_kms_key_id must be a customer managed key: EventBridge cannot use AWS managed keys such as alias/aws/sns."
  }
}

# Naming --------------------------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every name the module creates (policies, rules, topic)."
  type        = string
  default     = "vend"
  nullable    = false

  validation {
    # The longest rule name adds 36 characters; EventBridge allows 64.
    condition     = can(regex("^[A-Za-z0-9_-]{1,24}$", var.name_prefix))
    error_message = "The name_prefix must be 1-24 characters from A-Z, a-z, 0-9, _ and -."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}
