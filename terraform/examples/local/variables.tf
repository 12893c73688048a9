variable "endpoint" {
  description = "URL of the local AWS (moto_server), for example http://127.0.0.1:5000. Every service the stack uses is pointed at it."
  type        = string
  default     = "http://127.0.0.1:5000"

  validation {
    condition     = can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.endpoint)) || can(regex("^https?://\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?/?$", var.endpoint))
    error_message = "The endpoint must be an http(s) URL with a host and an optional port, such as http://127.0.0.1:5000."
  }
}

variable "region" {
  description = "Region name the local AWS pretends to be in."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region must be an AWS region name such as us-east-1."
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
  description = "Path to the TVM zip (bootstrap inside). The local AWS stores it but does not run it; the local runner runs the same bootstrap."
  type        = string

  validation {
    condition     = endswith(var.lambda_zip, ".zip") && fileexists(var.lambda_zip)
    error_message = "The lambda_zip must be the path of an existing .zip file (build it first)."
  }
}

variable "architecture" {
  description = "Architecture recorded for the function: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "The architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "frontend" {
  description = "Front end to create: function_url or http_api."
  type        = string
  default     = "function_url"

  validation {
    condition     = contains(["function_url", "http_api"], var.frontend)
    error_message = "The frontend must be \"function_url\" or \"http_api\"."
  }
}
