variable "name" {
  description = "Name of the EventBridge rule."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, '.', '_' or '-'."
  }
}

# Validated where users set it: var.housekeeping_schedule in the root.
variable "schedule_expression" {
  description = "When the target runs: rate(N unit) or cron(...)."
  type        = string
}

variable "target" {
  description = "The function alias the schedule invokes: function name, alias name and alias ARN."
  type = object({
    function_name = string
    alias_name    = string
    alias_arn     = string
  })
}

variable "enabled" {
  description = "Whether the rule fires (disable to pause housekeeping without destroying anything)."
  type        = bool
  default     = true
}
