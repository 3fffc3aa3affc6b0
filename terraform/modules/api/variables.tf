variable "name" {
  description = "Name of the REST API (and prefix of its log group and roles)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,60}$", var.name))
    error_message = "name must be 1-61 letters, digits or hyphens, starting with a letter."
  }
}

variable "openapi_path" {
  description = "Path of the OpenAPI 3 document (defaults to the module's own openapi.yaml, the project's API contract)."
  type        = string
  default     = null
}

variable "handler" {
  description = "The function behind every /v1 route (AWS_PROXY): its name, live alias name and alias invoke ARN."
  type = object({
    function_name    = string
    alias_name       = string
    alias_invoke_arn = string
  })
}

# Validated where users set it: var.container_api_url in the root.
variable "container_api_url" {
  description = "Base URL of the existing container API, reached through /legacy/{proxy+} (HTTP_PROXY)."
  type        = string
}

variable "cors_origin" {
  description = "The one browser origin CORS admits (the site), e.g. https://www.example.com."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/\\s]+$", var.cors_origin))
    error_message = "cors_origin must be an origin: scheme and host, no path or trailing slash."
  }
}

# Validated where users set it: var.api_stage_name in the root.
variable "stage_name" {
  description = "Name of the stage."
  type        = string
  default     = "live"
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second the stage admits."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  description = "Requests the stage admits in a burst above the rate."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit > 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a positive whole number."
  }
}

variable "execution_logging_level" {
  description = "Execution log level of every method (OFF, ERROR, INFO). Anything but OFF needs the account's CloudWatch role."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

# Validated where users set it: var.log_retention_days in the root.
variable "log_retention_days" {
  description = "Retention of the access log group."
  type        = number
  default     = 30
}

variable "manage_account_logging_role" {
  description = "Create the role API Gateway writes CloudWatch logs with and set it for the whole account and region (it replaces whatever role is set). The stage's logging needs a role there; turn off only when the account already has one."
  type        = bool
  default     = true
}

variable "reset_account_on_delete" {
  description = "On destroy, clear the account's CloudWatch role setting rather than leave it naming the deleted role."
  type        = bool
  default     = true
}
