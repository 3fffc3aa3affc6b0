variable "name_prefix" {
  description = "Prefix of every name in this module; function <key> is named <name_prefix>-<key>."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-41 letters, digits or hyphens, starting with a letter."
  }
}

# Validated where users set it: var.architecture in the root.
variable "architecture" {
  description = "Instruction set of every function and of the layer."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime of every function and of the layer."
  type        = string

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.runtime))
    error_message = "runtime must be a Python runtime identifier such as python3.13."
  }
}

variable "build" {
  description = "The build manifest (build.sh): folder, runtime, architecture and, per artifact (each function and \"layer\"), the zip path relative to the folder and its base64 SHA-256."
  type = object({
    dir          = string
    runtime      = string
    architecture = string
    artifacts = map(object({
      path         = string
      base64sha256 = string
    }))
  })

  validation {
    condition     = length(var.build.artifacts) > 0
    error_message = "The build manifest is missing or lists no artifacts: run ./build.sh (make build) first."
  }
  validation {
    condition     = var.build.architecture == var.architecture
    error_message = "The build manifest is for another architecture than var.architecture: rebuild with ./build.sh --arch matching it."
  }
  validation {
    condition     = var.build.runtime == var.runtime
    error_message = "The build manifest is for another runtime than var.runtime: rebuild with ./build.sh --runtime matching it."
  }
  validation {
    condition     = contains(keys(var.build.artifacts), "layer")
    error_message = "The build manifest has no \"layer\" artifact."
  }
}

variable "functions" {
  description = "The functions, keyed by name (the folder under functions/ and the artifact in the manifest)."
  type = map(object({
    handler                 = string
    description             = optional(string, "")
    memory_mb               = number
    timeout_s               = number
    reserved_concurrency    = optional(number)
    provisioned_concurrency = optional(number, 0)
    environment             = optional(map(string), {})
    extra_layer_arns        = optional(list(string), [])
    # Least privilege: the statements the function's own role gets besides logs and X-Ray.
    policy_statements = optional(list(object({
      sid       = string
      actions   = list(string)
      resources = list(string)
      conditions = optional(list(object({
        test     = string
        variable = string
        values   = list(string)
      })), [])
    })), [])
    # Asynchronous invocation (S3, EventBridge): retries, event age and an on-failure queue.
    async = optional(object({
      maximum_retry_attempts       = number
      maximum_event_age_in_seconds = number
    }))
  }))

  validation {
    condition     = alltrue([for name in keys(var.functions) : can(regex("^[a-z][a-z0-9_]{0,20}$", name))])
    error_message = "Function names must be 1-21 lower-case letters, digits or underscores."
  }
  validation {
    condition     = alltrue([for name in keys(var.functions) : contains(keys(var.build.artifacts), name)])
    error_message = "Every function needs an artifact of the same name in the build manifest: run ./build.sh."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.memory_mb >= 128 && f.memory_mb <= 10240])
    error_message = "memory_mb must be from 128 to 10240."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.timeout_s >= 1 && f.timeout_s <= 900])
    error_message = "timeout_s must be from 1 to 900."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.reserved_concurrency == null || try(f.reserved_concurrency >= 0, false)])
    error_message = "reserved_concurrency must be null (unreserved) or >= 0."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.provisioned_concurrency >= 0])
    error_message = "provisioned_concurrency must be >= 0 (0 = off)."
  }
  validation {
    condition = alltrue([for f in values(var.functions) :
      f.provisioned_concurrency == 0 || f.reserved_concurrency == null || try(f.provisioned_concurrency <= f.reserved_concurrency, false)
    ])
    error_message = "provisioned_concurrency cannot exceed the function's reserved_concurrency."
  }
  validation {
    condition     = alltrue(flatten([for f in values(var.functions) : [for s in f.policy_statements : [for a in s.actions : !strcontains(a, "*")]]]))
    error_message = "Policy statements must name actions exactly: no wildcards."
  }
  validation {
    condition = alltrue([for f in values(var.functions) :
      f.async == null || try(f.async.maximum_retry_attempts >= 0 && f.async.maximum_retry_attempts <= 2 && f.async.maximum_event_age_in_seconds >= 60 && f.async.maximum_event_age_in_seconds <= 21600, false)
    ])
    error_message = "async.maximum_retry_attempts must be 0-2 and async.maximum_event_age_in_seconds 60-21600."
  }
}

variable "common_environment" {
  description = "Environment variables every function gets (a function's own environment wins on a clash)."
  type        = map(string)
  default     = {}
}

variable "alias_name" {
  description = "Name of the alias every trigger invokes; it always points at the latest published version."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,127}$", var.alias_name)) && !can(regex("^[0-9]+$", var.alias_name))
    error_message = "alias_name must start with a letter and hold only letters, digits, '-' and '_'."
  }
}

# Validated where users set it: var.log_retention_days in the root.
variable "log_retention_days" {
  description = "Retention of each function's log group."
  type        = number
  default     = 30
}

variable "account_concurrency_quota" {
  description = "The account's concurrent executions quota, to check the functions' reserved and provisioned concurrency against before Lambda refuses it (it keeps min(100, quota) unreserved). null: not checked."
  type        = number
  default     = null

  validation {
    condition     = var.account_concurrency_quota == null || try(var.account_concurrency_quota >= 1, false)
    error_message = "account_concurrency_quota must be >= 1, or null."
  }
}
