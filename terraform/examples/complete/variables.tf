# What a real deployment sets (VEND_TARGET=aws go tool mage deploy reads them from the
# VEND_TFVARS file and passes lambda_zip and architecture); the rest is literal in
# main.tf. The modules validate every value.

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
  description = "Organisation whose principals may call the TVM. Null (with no allowed_account_ids) allows only this account."
  type        = string
  default     = null
}

variable "allowed_account_ids" {
  description = "Accounts whose principals may call the TVM. Empty (with no principal_org_id) allows only this account."
  type        = list(string)
  default     = []
}

variable "break_glass_principal_arns" {
  description = "IAM role or user ARNs that may assume the protected roles directly in an emergency."
  type        = list(string)
  default     = []
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
