locals {
  # A lower-case DNS name, optionally a wildcard (*.example.com).
  dns_name_pattern = "^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
}

variable "domain_name" {
  description = "The certificate's primary name, e.g. api.example.com."
  type        = string

  validation {
    condition     = can(regex(local.dns_name_pattern, var.domain_name))
    error_message = "domain_name must be a lower-case DNS name (optionally starting with *.)."
  }
}

variable "subject_alternative_names" {
  description = "Further names on the certificate (an apex next to its wildcard is fine: they share one validation record)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.subject_alternative_names : can(regex(local.dns_name_pattern, n))])
    error_message = "subject_alternative_names must be lower-case DNS names (optionally starting with *.)."
  }
}

variable "zone_id" {
  description = "Route53 hosted zone that receives the DNS validation records."
  type        = string

  validation {
    condition     = length(var.zone_id) > 0
    error_message = "zone_id must not be empty."
  }
}

variable "validation_timeout" {
  description = "How long terraform apply waits for ACM to issue the certificate."
  type        = string
  default     = "45m"

  validation {
    condition     = can(regex("^[0-9]+[smh]$", var.validation_timeout))
    error_message = "validation_timeout must be a duration such as 45m."
  }
}
