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
