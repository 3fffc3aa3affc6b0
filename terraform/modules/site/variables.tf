variable "name_prefix" {
  description = "Prefix of the bucket, distribution comment and policy names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lower-case letters, digits or hyphens, starting with a letter (it is part of a bucket name)."
  }
}

variable "bucket_suffix" {
  description = "Appended to the site bucket name to make it globally unique (e.g. the account id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,29}$", var.bucket_suffix))
    error_message = "bucket_suffix must be 1-30 lower-case letters, digits or hyphens."
  }
}

variable "domain_names" {
  description = "Names the site answers to; the first is canonical (e.g. [\"www.example.com\", \"example.com\"])."
  type        = list(string)

  validation {
    condition     = length(var.domain_names) > 0 && alltrue([for d in var.domain_names : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", d))])
    error_message = "domain_names must be one or more lower-case DNS names."
  }
}

variable "zone_id" {
  description = "Route53 hosted zone of the names (validation and alias records go there)."
  type        = string
}

variable "site_dir" {
  description = "Folder whose files are uploaded as the site (missing or empty: only config.json is uploaded)."
  type        = string
}

variable "config" {
  description = "Content of /config.json, which tells the site where its APIs are and, for its Lambda lab, how the API function's concurrency is configured (left out when null)."
  type = object({
    api_url           = string
    container_api_url = string
    api_function = optional(object({
      name                    = string
      alias                   = string
      reserved_concurrency    = optional(number) # null: the account's unreserved pool
      provisioned_concurrency = optional(number, 0)
    }))
  })
}

variable "connect_origins" {
  description = "Origins the site's scripts may call (CSP connect-src besides 'self'): the two APIs and the media upload endpoint, exactly."
  type        = list(string)

  validation {
    condition     = alltrue([for o in var.connect_origins : can(regex("^https?://[^/\\s]+$", o))])
    error_message = "connect_origins must be origins: scheme and host, no path or trailing slash."
  }
}

variable "media_bucket" {
  description = "The media bucket served under /media/* through Origin Access Control."
  type = object({
    name                 = string
    arn                  = string
    regional_domain_name = string
  })
}

variable "price_class" {
  description = "CloudFront price class (which edge locations serve the site)."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "response_headers_policy_enabled" {
  description = "Attach the security-headers policy (CSP, HSTS, ...). The local cloud lacks the API, so the root turns it off there; its site stand-in applies the security_headers output instead."
  type        = bool
  default     = true
}

variable "publish_functions" {
  description = "Publish the CloudFront Function to LIVE (required on AWS before a distribution may use it; the local cloud lacks PublishFunction)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let terraform destroy delete the site bucket with its objects."
  type        = bool
  default     = true
}

variable "deny_insecure_transport" {
  description = "Deny every request to the bucket that does not use TLS. Off only for the local cloud, whose control plane cannot evaluate the statement's aws:SecureTransport condition."
  type        = bool
  default     = true
}

variable "wait_for_deployment" {
  description = "Wait until the distribution is Deployed to every edge location (minutes on AWS). Off only for the local cloud, where nothing propagates and the provider's fixed polling would add about 30 s per apply."
  type        = bool
  default     = true
}

variable "dns_allow_overwrite" {
  description = "Take over existing alias records of the site's names instead of failing (Route53 refuses to create a record that exists)."
  type        = bool
  default     = false
}
