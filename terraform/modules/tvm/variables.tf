variable "name" {
  description = "Name of the TVM function. Also names its execution role, log group, alarms and (by default) its policy parameter."
  type        = string
  default     = "vend-tvm"

  validation {
    # 64 is Lambda's limit, but the role name is this plus nothing and the alarms add
    # a suffix; 48 keeps every derived name valid.
    condition     = can(regex("^[A-Za-z0-9_-]{1,48}$", var.name))
    error_message = "The name must be 1-48 characters from A-Z, a-z, 0-9, _ and -."
  }
}

variable "lambda_zip" {
  description = "Path to the zip holding the TVM's bootstrap binary (built with -tags lambda.norpc for provided.al2023)."
  type        = string

  validation {
    condition     = endswith(var.lambda_zip, ".zip") && fileexists(var.lambda_zip)
    error_message = "The lambda_zip must be the path of an existing .zip file (build it first, for example with go tool mage build)."
  }
}

variable "architecture" {
  description = "Instruction set of the function; the bootstrap in lambda_zip must be built for it (GOARCH=arm64 or amd64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "The architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB. The TVM is a small Go binary; more memory only buys CPU."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "The memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds. Kept below API Gateway's 30 s integration limit; SDK credential clients give up much sooner."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 3 && var.timeout <= 29 && floor(var.timeout) == var.timeout
    error_message = "The timeout must be a whole number of seconds from 3 to 29."
  }
}

variable "protected_role_arns" {
  description = "ARNs of the protected roles the TVM may assume (the protected-role module's role_arn outputs). The execution role gets sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession on exactly these."
  type        = list(string)

  validation {
    condition     = length(var.protected_role_arns) > 0
    error_message = "Give at least one protected role ARN: a TVM that may assume nothing is a mistake."
  }

  validation {
    condition     = alltrue([for a in var.protected_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "Each protected role ARN must be a full IAM role ARN without wildcards, such as arn:aws:iam::111111111111:role/vend/readonly."
  }
}

variable "policy_file" {
  description = "Path to the vend policy YAML (version: 1). It is stored in an SSM SecureString parameter that the TVM reads."
  type        = string

  validation {
    condition     = fileexists(var.policy_file)
    error_message = "The policy_file must be the path of an existing file."
  }
}

variable "policy_template_vars" {
  description = "When not empty, policy_file is rendered with templatefile() and these variables (for example role ARNs or the account ID), so that one file serves several accounts."
  type        = map(string)
  default     = {}
}

variable "policy_parameter_name" {
  description = "Name of the SSM parameter holding the policy. Null uses /vend/<name>/policy."
  type        = string
  default     = null

  validation {
    condition     = var.policy_parameter_name == null || can(regex("^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.policy_parameter_name))
    error_message = "The policy_parameter_name must be a hierarchical name starting with a slash, such as /vend/policy, using A-Z, a-z, 0-9 and _.-."
  }
}

variable "policy_parameter_tier" {
  description = "Tier of the policy parameter. Standard holds up to 4 KB; Advanced (or Intelligent-Tiering) up to 8 KB at a cost."
  type        = string
  default     = "Standard"

  validation {
    condition     = contains(["Standard", "Advanced", "Intelligent-Tiering"], var.policy_parameter_tier)
    error_message = "The policy_parameter_tier must be Standard, Advanced or Intelligent-Tiering."
  }
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key ARN for the policy parameter. Null uses the AWS managed aws/ssm key, which needs no kms:Decrypt grant."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); aliases cannot scope kms:Decrypt."
  }
}

variable "policy_ttl" {
  description = "How long the TVM caches the policy before reading the parameter again (a Go duration: 30s, 5m)."
  type        = string
  default     = "60s"

  validation {
    # The TVM refuses TTLs under one second: whole seconds, minutes and hours only, not zero.
    condition     = can(regex("^([0-9]+(s|m|h))+$", var.policy_ttl)) && !can(regex("^(0+(s|m|h))+$", var.policy_ttl))
    error_message = "The policy_ttl must be a Go duration of at least 1s in whole s, m or h, such as 60s, 5m or 1m30s."
  }
}

variable "policy_max_staleness" {
  description = "How long the TVM keeps serving the last valid policy while SSM throttles, fails or cannot be reached, counted from the last successful read (a Go duration from policy_ttl to 24h; it cannot be turned off). Null uses 15m, or policy_ttl when that is longer. A deleted or unreadable parameter is refused at the next refresh, whatever this says."
  type        = string
  default     = null

  validation {
    # Whole s, m and h, as policy_ttl; summed to seconds to compare with policy_ttl and 24h.
    condition = var.policy_max_staleness == null || try(
      can(regex("^([0-9]+(s|m|h))+$", var.policy_max_staleness)) &&
      sum([for m in regexall("([0-9]+)(s|m|h)", var.policy_max_staleness) : tonumber(m[0]) * { s = 1, m = 60, h = 3600 }[m[1]]]) >=
      sum([for m in regexall("([0-9]+)(s|m|h)", var.policy_ttl) : tonumber(m[0]) * { s = 1, m = 60, h = 3600 }[m[1]]]) &&
      sum([for m in regexall("([0-9]+)(s|m|h)", var.policy_max_staleness) : tonumber(m[0]) * { s = 1, m = 60, h = 3600 }[m[1]]]) <= 86400,
      false,
    )
    error_message = "The policy_max_staleness must be a Go duration in whole s, m or h from policy_ttl up to 24h, such as 15m or 1h. It bounds how long a policy that cannot be re-read is served, so it cannot be 0 or off; leave it null for the default."
  }
}

variable "source_identity_prefix" {
  description = "Prefix of the SourceIdentity the TVM sets on every session. The protected roles' trust policies must use the same prefix."
  type        = string
  default     = "vend-"

  validation {
    condition     = can(regex("^[A-Za-z0-9_+=,.@-]{1,16}$", var.source_identity_prefix)) && !startswith(lower(var.source_identity_prefix), "aws")
    error_message = "The source_identity_prefix must be 1-16 characters from A-Z, a-z, 0-9 and _+=,.@- and must not start with \"aws\"."
  }
}

variable "session_tags" {
  description = "Pass session tags (request ID, rule, profile) on AssumeRole. The protected roles must then allow sts:TagSession."
  type        = bool
  default     = true
}

variable "rate_limit" {
  description = "Requests per second allowed per caller in each TVM container (0 turns the limit off)."
  type        = number
  default     = 10

  validation {
    condition     = var.rate_limit >= 0 && var.rate_limit <= 10000 && floor(var.rate_limit) == var.rate_limit
    error_message = "The rate_limit must be a whole number from 0 to 10000."
  }
}

variable "frontend" {
  description = "How callers reach the TVM: \"function_url\" (a Lambda Function URL with AWS_IAM auth) or \"http_api\" (an API Gateway HTTP API with AWS_IAM routes)."
  type        = string
  default     = "function_url"

  validation {
    condition     = contains(["function_url", "http_api"], var.frontend)
    error_message = "The frontend must be \"function_url\" or \"http_api\"."
  }
}

variable "principal_org_id" {
  description = "AWS Organizations ID whose principals may invoke the Function URL. Set this or allowed_account_ids."
  type        = string
  default     = null

  validation {
    condition     = var.principal_org_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.principal_org_id))
    error_message = "The principal_org_id must look like o-abc123def4 (o- and 10-32 lowercase letters or digits)."
  }
}

variable "allowed_account_ids" {
  description = "Accounts whose principals may invoke the Function URL. Set this or principal_org_id: the TVM is never public."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.allowed_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "Each allowed account ID must be 12 digits."
  }

  validation {
    condition     = length(var.allowed_account_ids) > 0 || var.principal_org_id != null
    error_message = "Set principal_org_id or at least one allowed_account_ids entry: the TVM must not be invokable by everyone."
  }
}

variable "log_retention_days" {
  description = "Retention of the TVM's log group (its decision log) in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be one CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_kms_key_arn" {
  description = "Optional KMS key ARN to encrypt the log group (its key policy must allow CloudWatch Logs)."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.log_kms_key_arn))
    error_message = "The log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "reserved_concurrency" {
  description = "Optional reserved concurrency: caps the TVM (and the STS calls it makes) and guarantees it capacity. Null leaves it unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency, false)
    error_message = "The reserved_concurrency must be null or a whole number of at least 1 (0 would disable the TVM)."
  }
}

variable "state_enabled" {
  description = "Create the DynamoDB table, NAME-state, of access requests and grants (on demand, TTL, point-in-time recovery, encrypted). Without it a rule that needs approval vends nothing."
  type        = bool
  default     = true
}

variable "rate_limit_when_state_down" {
  description = "With the state table, the per-caller rate limit is kept in it, across all containers. While the table cannot be reached: refuse (every request gets 503 state_unavailable) or local (each container counts on its own)."
  type        = string
  default     = "refuse"

  validation {
    condition     = contains(["refuse", "local"], var.rate_limit_when_state_down)
    error_message = "The rate_limit_when_state_down must be refuse or local."
  }
}

variable "state_kms_key_arn" {
  description = "Optional customer managed KMS key for the state table (default: the AWS owned key). Its key policy must let the TVM role use it through DynamoDB."
  type        = string
  default     = null

  validation {
    condition     = var.state_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.state_kms_key_arn))
    error_message = "The state_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "state_deletion_protection" {
  description = "Protect the state table from deletion; turn it on in production (and off again before destroying the stack)."
  type        = bool
  default     = false
}

variable "revocation_writer_path" {
  description = "IAM path of the vend-revocation-writer role (the revocation-writer module) in each account that holds protected roles outside the TVM's own; the TVM assumes it to write their revocation policies."
  type        = string
  default     = "/vend/"
  nullable    = false

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.revocation_writer_path)) && length(var.revocation_writer_path) <= 512
    error_message = "The revocation_writer_path must be an IAM path: / or /segments/, such as /vend/."
  }
}

variable "sweep_schedule" {
  description = "With the state table, how often EventBridge invokes the TVM to publish the expiry of lapsed requests and ended grants (request_expired, grant_expired) and to prune revocation policies: a schedule expression, or null for no sweep (statuses are still computed on every read)."
  type        = string
  default     = "rate(5 minutes)"

  validation {
    condition     = var.sweep_schedule == null || can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours)\\)|cron\\(.+\\))$", var.sweep_schedule))
    error_message = "The sweep_schedule must be an EventBridge schedule expression such as rate(5 minutes) or cron(0/10 * * * ? *), or null."
  }
}

variable "events_enabled" {
  description = "Create an SNS topic, NAME-events, for the TVM's access-workflow events (break-glass alerts) and let the TVM publish to it. Without a topic a break-glass rule vends nothing."
  type        = bool
  default     = true
}

variable "events_topic_arn" {
  description = "Optional SNS topic of your own for the TVM's events, instead of the one events_enabled creates; the TVM role gets sns:Publish on it (grant kms:GenerateDataKey and kms:Decrypt on its key yourself if it has a customer managed one)."
  type        = string
  default     = null

  validation {
    condition     = var.events_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.events_topic_arn))
    error_message = "The events_topic_arn must be a standard SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME; not FIFO: events are not deduplicated)."
  }
}

variable "events_kms_key_arn" {
  description = "Optional customer managed KMS key for the events topic the module creates (default: the AWS managed key alias/aws/sns). Its key policy must let the TVM role use it through SNS."
  type        = string
  default     = null

  validation {
    condition     = var.events_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.events_kms_key_arn))
    error_message = "The events_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "alarms_enabled" {
  description = "Create CloudWatch alarms on the function's Errors and Throttles, and log metric filters with alarms on its policy_stale and policy_unavailable lines."
  type        = bool
  default     = true
}

variable "alarm_sns_topic_arn" {
  description = "Optional SNS topic notified when an alarm fires or recovers."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+(\\.fifo)?$", var.alarm_sns_topic_arn))
    error_message = "The alarm_sns_topic_arn must be an SNS topic ARN."
  }
}

variable "alarm_period" {
  description = "Period of the alarms in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period)
    error_message = "The alarm_period must be 60, 300, 900 or 3600 seconds."
  }
}

variable "alarm_errors_threshold" {
  description = "Errors (failed invocations, not denials) in one period that raise the Errors alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_errors_threshold >= 1
    error_message = "The alarm_errors_threshold must be at least 1."
  }
}

variable "alarm_throttles_threshold" {
  description = "Throttled invocations in one period that raise the Throttles alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_throttles_threshold >= 1
    error_message = "The alarm_throttles_threshold must be at least 1."
  }
}

variable "role_path" {
  description = "IAM path of the execution role. Keep it outside the protected roles' path so the guardrails never count the TVM as protected."
  type        = string
  default     = "/vend-tvm/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "The role_path must start and end with a slash (for example /vend-tvm/)."
  }
}

variable "role_permissions_boundary_arn" {
  description = "Optional permissions boundary for the execution role."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", var.role_permissions_boundary_arn))
    error_message = "The role_permissions_boundary_arn must be an IAM policy ARN."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
