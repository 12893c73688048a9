variable "endpoint" {
  description = "URL of the local AWS (moto_server), for example http://127.0.0.1:5000."
  type        = string
  default     = "http://127.0.0.1:5000"

  validation {
    condition     = can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.endpoint)) || can(regex("^https?://\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?/?$", var.endpoint))
    error_message = "The endpoint must be an http(s) URL with a host and an optional port, such as http://127.0.0.1:5000."
  }
}
