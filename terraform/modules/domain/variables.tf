variable "domain_name" {
  description = "The API's custom domain, e.g. api.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as api.example.com."
  }
}

variable "zone_id" {
  description = "Route53 hosted zone of the domain (validation and alias records go there)."
  type        = string

  validation {
    condition     = length(var.zone_id) > 0
    error_message = "zone_id must not be empty."
  }
}

variable "rest_api_id" {
  description = "ID of the REST API mapped at the domain's root."
  type        = string
}

variable "stage_name" {
  description = "Stage of the REST API mapped at the domain's root."
  type        = string
}

variable "security_policy" {
  description = "Minimum TLS version clients may negotiate."
  type        = string
  default     = "TLS_1_2"

  validation {
    condition     = contains(["TLS_1_2"], var.security_policy)
    error_message = "security_policy must be TLS_1_2: TLS 1.0 and 1.1 are deprecated."
  }
}

variable "allow_overwrite" {
  description = "Take over an existing record of the same name and type in the zone instead of failing (Route53 refuses to create a record that exists)."
  type        = bool
  default     = false
}
