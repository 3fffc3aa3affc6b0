variable "name" {
  description = "The bucket's name (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3-63 lower-case letters, digits or hyphens, starting and ending with a letter or digit (no dots: they break TLS for virtual-hosted requests)."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the bucket with every object and version in it."
  type        = bool
  default     = false
}

variable "versioning" {
  description = "Keep object versions (the caller's lifecycle rules then decide how long noncurrent ones stay)."
  type        = bool
  default     = true
}

variable "deny_insecure_transport" {
  description = "Deny every request to the bucket that does not use TLS. Off only where the endpoint itself is plain HTTP (the local cloud), which would otherwise be locked out."
  type        = bool
  default     = true
}

variable "policy_statements" {
  description = "Allow statements the bucket policy adds after the TLS-only deny, on this bucket's objects (keys or patterns such as thumbnails/*): who may do what, under which conditions."
  type = list(object({
    sid         = string
    actions     = list(string)
    object_keys = list(string)
    principals = list(object({
      type        = string
      identifiers = list(string)
    }))
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.policy_statements : length(s.principals) > 0 && alltrue([for p in s.principals : !contains(p.identifiers, "*")])])
    error_message = "Every allow statement must name its principals, never \"*\": the bucket stays private."
  }
  validation {
    condition     = alltrue(flatten([for s in var.policy_statements : [for a in s.actions : !strcontains(a, "*")]]))
    error_message = "Allow statements must name actions exactly: no wildcards."
  }
}
