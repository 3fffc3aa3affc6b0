variable "name_prefix" {
  description = "Prefix of the config bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "bucket_suffix" {
  description = "Appended to the config bucket name to make it globally unique (e.g. the account id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,29}$", var.bucket_suffix))
    error_message = "bucket_suffix must be 1-30 lower-case letters, digits or hyphens."
  }
}

# Validated where users set it: var.architecture in the root.
variable "architecture" {
  description = "Architecture of the functions that get the extension: picks the layer built for it."
  type        = string
}

variable "deny_insecure_transport" {
  description = "Deny every request to the bucket that does not use TLS. Off only for the local cloud, whose control plane cannot evaluate the statement's aws:SecureTransport condition."
  type        = bool
  default     = true
}

# Validated where users set it: var.fis_extension_layer_arn in the root.
variable "layer_arn" {
  description = "Version ARN of the FIS extension layer to attach. null: the latest 1.x from AWS's public SSM parameter (it moves when AWS publishes a new version)."
  type        = string
  default     = null
}
