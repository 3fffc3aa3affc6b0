variable "name_prefix" {
  description = "Prefix of the config bucket, role, alarm and stack names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "config_bucket" {
  description = "The FIS configuration bucket (fis_extension module): name, ARN and key prefix."
  type = object({
    name   = string
    arn    = string
    prefix = string
  })
}

variable "target_function" {
  description = "The function faults are injected into: its name and (unqualified) ARN. The function must already carry the FIS extension (fis_extension module)."
  type = object({
    name = string
    arn  = string
  })
}

variable "api" {
  description = "The API in front of the target: its name and stage (the stop condition watches its 5xx rate)."
  type = object({
    name       = string
    stage_name = string
  })
}

variable "invocation_percentage" {
  description = "Share of invocations an experiment affects (1-100)."
  type        = number
  default     = 25

  validation {
    condition     = var.invocation_percentage >= 1 && var.invocation_percentage <= 100
    error_message = "invocation_percentage must be from 1 to 100."
  }
}

# Validated where users set it: var.chaos_duration_minutes in the root.
variable "duration_minutes" {
  description = "How long an experiment injects faults."
  type        = number
  default     = 5
}

# Validated where users set it: var.chaos_delay_ms in the root.
variable "delay_ms" {
  description = "Start-up delay injected by the add-delay experiment."
  type        = number
  default     = 1500
}
