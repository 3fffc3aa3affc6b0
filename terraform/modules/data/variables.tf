variable "name_prefix" {
  description = "Prefix of every table and bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lower-case letters, digits or hyphens, starting with a letter (it is part of bucket names)."
  }
}

variable "bucket_suffix" {
  description = "Appended to the media bucket name to make it globally unique (e.g. the account id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,29}$", var.bucket_suffix))
    error_message = "bucket_suffix must be 1-30 lower-case letters, digits or hyphens."
  }
}

variable "upload_origins" {
  description = "Browser origins allowed to POST uploads to the media bucket (the site), e.g. https://www.example.com."
  type        = list(string)

  validation {
    condition     = length(var.upload_origins) > 0 && alltrue([for o in var.upload_origins : can(regex("^https?://[^/\\s]+$", o))])
    error_message = "upload_origins must be origins: scheme and host, no path or trailing slash."
  }
}

variable "stale_upload_days" {
  description = "Days after which an object under uploads/ is deleted (housekeeping removes orphans sooner; this is the backstop)."
  type        = number
  default     = 7

  validation {
    condition     = var.stale_upload_days >= 1 && floor(var.stale_upload_days) == var.stale_upload_days
    error_message = "stale_upload_days must be a whole number >= 1."
  }
}

variable "upload_handler" {
  description = "The function alias notified when an object is created under uploads/ (the thumbnails function)."
  type = object({
    function_name = string
    alias_name    = string
    alias_arn     = string
  })
}

variable "cdn_distribution_arn" {
  description = "ARN of the CloudFront distribution allowed to read thumbnails/ through its Origin Access Control."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:cloudfront::[0-9]{12}:distribution/[A-Z0-9]+$", var.cdn_distribution_arn))
    error_message = "cdn_distribution_arn must be a CloudFront distribution ARN."
  }
}

variable "point_in_time_recovery" {
  description = "Continuous backups (35 days of point-in-time restore) on every table."
  type        = bool
  default     = true
}

variable "force_destroy_media" {
  description = "Let terraform destroy delete the media bucket with its objects (user uploads)."
  type        = bool
  default     = false
}

variable "deny_insecure_transport" {
  description = "Deny every request to the bucket that does not use TLS. Off only for the local cloud, whose control plane cannot evaluate the statement's aws:SecureTransport condition."
  type        = bool
  default     = true
}
