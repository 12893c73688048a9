# Only what `go tool mage deploy` passes; everything else is a literal in main.tf. The
# modules validate the values.

variable "endpoint" {
  description = "URL of the local AWS (moto_server), for example http://127.0.0.1:5000. Every service the stack uses is pointed at it."
  type        = string
  default     = "http://127.0.0.1:5000"

  validation {
    condition     = can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.endpoint)) || can(regex("^https?://\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?/?$", var.endpoint))
    error_message = "The endpoint must be an http(s) URL with a host and an optional port, such as http://127.0.0.1:5000."
  }
}

variable "lambda_zip" {
  description = "Path to the TVM zip (bootstrap inside). The local AWS stores it but does not run it; the local runner runs the same bootstrap."
  type        = string
}

variable "architecture" {
  description = "Architecture recorded for the function: arm64 or x86_64."
  type        = string
  default     = "arm64"
}

variable "organization" {
  description = "The organisation to deploy into: the outputs of examples/local-organization (go tool mage deploy applies it first and passes them)."
  type = object({
    management_account_id = string
    security_account_id   = string
    workload_account_ids  = object({ dev = string, prod = string })
    organization_id       = string
    root_id               = string
    security_ou_id        = string
    workloads_ou_id       = string
  })

  validation {
    condition = length(distinct([var.organization.management_account_id, var.organization.security_account_id, var.organization.workload_account_ids.dev, var.organization.workload_account_ids.prod])) == 4 && alltrue([
      for a in [var.organization.management_account_id, var.organization.security_account_id, var.organization.workload_account_ids.dev, var.organization.workload_account_ids.prod] : can(regex("^[0-9]{12}$", a))
    ])
    error_message = "The management, security, dev and prod accounts must be four distinct 12-digit account IDs: never put the TVM or protected roles in the management account."
  }
}

variable "guardrails_mode" {
  description = "How the organisation guardrails run: audit (EventBridge rules report, nothing is denied) or enforce (the SCPs and RCPs attached). The docs' rollout goes from audit to enforce; the local deploy ends in enforce."
  type        = string
  default     = "enforce"

  validation {
    condition     = contains(["audit", "enforce"], var.guardrails_mode)
    error_message = "The guardrails_mode must be audit or enforce."
  }
}
