variable "name" {
  description = "Prefix of alarm, dashboard, topic and sampling rule names."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,40}$", var.name))
    error_message = "name must be 1-41 letters, digits or hyphens, starting with a letter."
  }
}

variable "function_names" {
  description = "Functions to alarm on (errors, throttles) and chart, keyed by short name."
  type        = map(string)
}

variable "api" {
  description = "The REST API to alarm on (5xx, p99 latency) and chart: its name and stage."
  type = object({
    name       = string
    stage_name = string
  })
}

# Validated where users set it: var.api_latency_p99_threshold_ms in the root.
variable "api_latency_p99_threshold_ms" {
  description = "p99 latency (ms) above which the latency alarm fires."
  type        = number
  default     = 2000
}

variable "api_5xx_rate_threshold" {
  description = "Share of requests answered with 5xx (0-1) above which the 5xx alarm fires."
  type        = number
  default     = 0.05

  validation {
    condition     = var.api_5xx_rate_threshold > 0 && var.api_5xx_rate_threshold <= 1
    error_message = "api_5xx_rate_threshold must be in (0, 1]."
  }
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic, or null."
  type        = string
  default     = null
}

variable "xray_sampling_rule_enabled" {
  description = "Create the X-Ray sampling rule (API Gateway stages and the local cloud's gateway sample by it)."
  type        = bool
  default     = true
}

# Validated where users set it: var.xray_sampling_rate in the root.
variable "xray_sampling_rate" {
  description = "Fraction of requests traced beyond the one-per-second reservoir."
  type        = number
  default     = 0.1
}
