# What a real deployment sets (VEND_TARGET=aws go tool mage deploy reads them from the
# VEND_TFVARS file and passes lambda_zip and architecture); the rest is literal in
# main.tf. The modules validate every value.

variable "security_account_role_arn" {
  description = "Role the deploying credentials (in the management account) assume in the security account, where the TVM lives: for example arn:aws:iam::111111111111:role/OrganizationAccountAccessRole."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.security_account_role_arn))
    error_message = "The security_account_role_arn must be an IAM role ARN, such as arn:aws:iam::111111111111:role/OrganizationAccountAccessRole."
  }
}

variable "workload_account_role_arns" {
  description = "Roles the deploying credentials assume in the two workload accounts, where the protected roles live."
  type        = object({ dev = string, prod = string })

  validation {
    condition     = alltrue([for a in values(var.workload_account_role_arns) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "Each workload_account_role_arns entry must be an IAM role ARN, such as arn:aws:iam::222222222222:role/OrganizationAccountAccessRole."
  }

  validation {
    condition     = length(distinct([for a in concat([var.security_account_role_arn], values(var.workload_account_role_arns)) : split(":", a)[4]])) == 3
    error_message = "The security, dev and prod roles must be in three different accounts: the TVM never shares an account with the roles it vends."
  }
}

variable "region" {
  description = "AWS region to deploy the TVM into."
  type        = string
  default     = "eu-west-1"
}

variable "lambda_zip" {
  description = "Path to the TVM zip (bootstrap inside), as built by go tool mage build."
  type        = string
}

variable "architecture" {
  description = "Architecture the bootstrap was built for: arm64 or x86_64."
  type        = string
  default     = "arm64"
}

variable "frontend" {
  description = "Front end of the TVM: function_url or http_api."
  type        = string
  default     = "function_url"
}

variable "principal_org_id" {
  description = "Organisation whose principals may call the TVM (o-...). Null (with no allowed_account_ids) allows only the workload accounts."
  type        = string
  default     = null
}

variable "allowed_account_ids" {
  description = "Accounts whose principals may call the TVM. Empty (with no principal_org_id) allows only the workload accounts."
  type        = list(string)
  default     = []
}

variable "break_glass_principal_arns" {
  description = "IAM role or user ARNs that may assume the protected roles of each workload account directly in an emergency."
  type        = object({ dev = list(string), prod = list(string) })
  default     = { dev = [], prod = [] }
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key for the policy parameter."
  type        = string
  default     = null
}

variable "alarm_sns_topic_arn" {
  description = "Optional SNS topic for the TVM's alarms."
  type        = string
  default     = null
}

variable "guardrails_mode" {
  description = "The organisation guardrails' rollout step: audit (EventBridge rules report every assumption of a protected role not made by the TVM; nothing is denied) or enforce (the SCPs and RCPs attached to guardrail_target_ids and rcp_target_ids). Start in audit."
  type        = string
  default     = "audit"
}

variable "guardrail_target_ids" {
  description = "OUs (or accounts) to attach the SCPs to in enforce mode: the OUs holding the security account and the workload accounts."
  type        = list(string)
  default     = []
}

variable "rcp_target_ids" {
  description = "Where to attach the RCPs in enforce mode, such as the root (r-...). Null attaches them to guardrail_target_ids."
  type        = list(string)
  default     = null
}

variable "deployer_arns" {
  description = "Pipeline principals that may change the TVM and the protected roles once the guardrails enforce: the roles this stack deploys as in each account (account pinned)."
  type        = list(string)
  default     = []
}
