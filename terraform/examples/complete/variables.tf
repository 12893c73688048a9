variable "region" {
  description = "AWS region to deploy the TVM into."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  description = "Name of the TVM function (and its role, log group and policy parameter)."
  type        = string
  default     = "vend-tvm"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,48}$", var.name))
    error_message = "The name must be 1-48 characters from A-Z, a-z, 0-9, _ and -."
  }
}

variable "lambda_zip" {
  description = "Path to the TVM zip (bootstrap inside), as built by go tool mage build."
  type        = string

  validation {
    condition     = endswith(var.lambda_zip, ".zip") && fileexists(var.lambda_zip)
    error_message = "The lambda_zip must be the path of an existing .zip file (build it first)."
  }
}

variable "architecture" {
  description = "Architecture the bootstrap was built for: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "The architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "frontend" {
  description = "Front end of the TVM: function_url or http_api."
  type        = string
  default     = "function_url"

  validation {
    condition     = contains(["function_url", "http_api"], var.frontend)
    error_message = "The frontend must be \"function_url\" or \"http_api\"."
  }
}

variable "principal_org_id" {
  description = "Organisation whose principals may call the TVM. Null (with no allowed_account_ids) allows only this account."
  type        = string
  default     = null

  validation {
    condition     = var.principal_org_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.principal_org_id))
    error_message = "The principal_org_id must look like o-abc123def4."
  }
}

variable "allowed_account_ids" {
  description = "Accounts whose principals may call the TVM. Empty (with no principal_org_id) allows only this account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.allowed_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "Each allowed account ID must be 12 digits."
  }
}

variable "break_glass_principal_arns" {
  description = "IAM role or user ARNs that may assume the protected roles directly in an emergency."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.break_glass_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "Each break-glass principal must be an IAM role or user ARN without wildcards."
  }
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key for the policy parameter."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be a KMS key ARN."
  }
}

variable "alarm_sns_topic_arn" {
  description = "Optional SNS topic for the TVM's alarms."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alarm_sns_topic_arn))
    error_message = "The alarm_sns_topic_arn must be an SNS topic ARN."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = { project = "vend" }
}
