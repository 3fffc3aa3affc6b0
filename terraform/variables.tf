# --- identity and placement ----------------------------------------------------------------------

variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "postcards"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project))
    error_message = "project must be 3-20 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (prod, staging, ...), the second part of every resource name."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,9}$", var.environment))
    error_message = "environment must be 1-10 lower-case letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of everything but the CloudFront certificate (always us-east-1). null: the region of the environment (AWS_REGION, profile). Must be a commercial (aws partition) region: GovCloud and China cannot use the us-east-1 certificate CloudFront needs."
  type        = string
  default     = null

  validation {
    # The aws partition only: us-gov-* and cn-* are separate partitions, without the us-east-1
    # provider alias (CloudFront's certificate) this stack needs.
    condition     = var.region == null || (can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region)) && !startswith(coalesce(var.region, "x"), "cn-"))
    error_message = "region must be a region of the commercial aws partition, e.g. eu-west-1 (not GovCloud or China: CloudFront's certificate must come from us-east-1 of the same partition)."
  }
}

variable "tags" {
  description = "Extra tags for every resource (Project, Environment and ManagedBy are always set). At most 7: S3 objects (the site's files) take 10 tags and the stack adds 3."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(var.tags) <= 7
    error_message = "tags may hold at most 7 entries: S3 allows 10 tags on an object and the stack adds Project, Environment and ManagedBy to every one."
  }
  validation {
    condition     = length(setintersection(keys(var.tags), ["Project", "Environment", "ManagedBy"])) == 0 && alltrue([for k in keys(var.tags) : !startswith(lower(k), "aws:")])
    error_message = "tags must not set Project, Environment or ManagedBy (the stack sets them) or use the reserved aws: prefix."
  }
}

variable "local_endpoint" {
  description = "URL of the local cloud's AWS endpoint, or null for real AWS. The endpoint itself comes from the AWS_ENDPOINT_URL environment variable; this switches on the provider flags a local endpoint needs and turns off what it lacks (X-Ray sampling rules, CloudFront response headers policies and function publishing)."
  type        = string
  default     = null

  validation {
    condition     = var.local_endpoint == null || can(regex("^https?://[^/\\s]+/?$", var.local_endpoint))
    error_message = "local_endpoint must be an http(s) URL with no path, e.g. https://127.0.0.1:4566."
  }
}

# --- domain --------------------------------------------------------------------------------------

variable "domain_name" {
  description = "The domain the stack lives under: the API at api.<domain>, the site at www.<domain>."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.domain_name)) && length(var.domain_name) <= 240
    error_message = "domain_name must be a lower-case DNS name with at least two labels and no trailing dot, e.g. example.com."
  }
}

variable "hosted_zone_id" {
  description = "Route53 hosted zone of domain_name. null: look the zone up by name, or create it (see create_hosted_zone)."
  type        = string
  default     = null

  validation {
    condition     = var.hosted_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be a Route53 zone id such as Z0123456789ABCDEFGHIJ."
  }
}

variable "create_hosted_zone" {
  description = "Create the public hosted zone for domain_name instead of looking it up (ignored when hosted_zone_id is set). null: create it on the local cloud, look it up on AWS."
  type        = bool
  default     = null
}

variable "site_include_apex" {
  description = "Also serve the site at the apex domain (<domain>) besides www.<domain>."
  type        = bool
  default     = false
}

variable "container_api_url" {
  description = "Base URL of the existing container API, fronted by the gateway under /legacy and written to the site's config.json."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/\\s]+(/[^\\s]*)?$", var.container_api_url)) && !endswith(var.container_api_url, "/")
    error_message = "container_api_url must be an http(s) URL without a trailing slash, e.g. https://legacy.example.com."
  }
}

locals {
  # A browser origin of the site or the API: scheme, host and optional port (no path, no trailing slash).
  browser_origin_pattern = "^https?://[a-z0-9.-]+(:[0-9]{1,5})?$"
}

variable "public_site_url" {
  description = "Origin browsers use for the site, when it is not https://www.<domain_name>: the local cloud serves HTTPS on a port of its own. Sets the API's CORS origin, the media bucket's CORS and the thumbnails' base URL. null = https://www.<domain_name>."
  type        = string
  default     = null

  validation {
    condition     = var.public_site_url == null || can(regex(local.browser_origin_pattern, var.public_site_url))
    error_message = "public_site_url must be an origin (scheme, host, optional port; no path or trailing slash), e.g. https://www.postcards.localhost:4443."
  }
}

variable "public_api_url" {
  description = "Base URL browsers use for the Lambda API, when it is not https://api.<domain_name> (the local cloud's HTTPS port). Written to the site's config.json. null = https://api.<domain_name>."
  type        = string
  default     = null

  validation {
    condition     = var.public_api_url == null || can(regex(local.browser_origin_pattern, var.public_api_url))
    error_message = "public_api_url must be an origin (scheme, host, optional port; no path or trailing slash), e.g. https://api.postcards.localhost:4443."
  }
}

# --- build ---------------------------------------------------------------------------------------

variable "architecture" {
  description = "Lambda instruction set; must match the build manifest (./build.sh --arch)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "runtime" {
  description = "Lambda runtime of every function and the layer; must match the build manifest."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13."
  }
}

variable "artifacts_dir" {
  description = "Folder with build.sh's zips and manifest.json. null: build/<architecture> in the repository."
  type        = string
  default     = null
}

variable "service_version" {
  description = "Version string the functions report (SERVICE_VERSION, /v1/health)."
  type        = string
  default     = "1.0.0"

  validation {
    condition     = can(regex("^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$", var.service_version))
    error_message = "service_version must be 1-40 characters of letters, digits, '.', '+' or '-'."
  }
}

# --- functions -----------------------------------------------------------------------------------

variable "function_memory_mb" {
  description = "Memory (MB) per function; CPU scales with it. Keys: postcards, thumbnails, housekeeping."
  type        = map(number)
  default = {
    postcards    = 512
    thumbnails   = 1024
    housekeeping = 256
  }

  validation {
    condition     = alltrue([for name in keys(var.function_memory_mb) : contains(local.function_keys, name)])
    error_message = "function_memory_mb keys must be among ${join(", ", local.function_keys)}."
  }
  validation {
    condition     = alltrue([for mb in values(var.function_memory_mb) : mb >= 128 && mb <= 10240 && floor(mb) == mb])
    error_message = "function_memory_mb values must be whole numbers from 128 to 10240."
  }
}

variable "function_timeout_s" {
  description = "Timeout (seconds) per function. Keys: postcards, thumbnails, housekeeping. The API function must stay under API Gateway's 29 s."
  type        = map(number)
  default = {
    postcards    = 10
    thumbnails   = 60
    housekeeping = 300
  }

  validation {
    condition     = alltrue([for name in keys(var.function_timeout_s) : contains(local.function_keys, name)])
    error_message = "function_timeout_s keys must be among ${join(", ", local.function_keys)}."
  }
  validation {
    condition     = alltrue([for s in values(var.function_timeout_s) : s >= 1 && s <= 900 && floor(s) == s])
    error_message = "function_timeout_s values must be whole seconds from 1 to 900."
  }
  validation {
    condition     = lookup(var.function_timeout_s, "postcards", 10) <= 29
    error_message = "function_timeout_s.postcards must be at most 29: API Gateway gives up on an integration after 29 s."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per function: a ceiling and a guarantee carved out of the account pool. 0 stops a function (a kill switch). Functions not listed share the unreserved pool. Lambda keeps min(100, quota) of the account's concurrency unreserved, so reservations need a quota above 100 (checked at plan, see lambda_concurrency_quota)."
  type        = map(number)
  # None by default: a new account's quota is often 10, and Lambda keeps min(100, quota) unreserved,
  # so any reservation there fails (issue #15). See lambda_concurrency_quota.
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.reserved_concurrency) : contains(local.function_keys, name)])
    error_message = "reserved_concurrency keys must be among ${join(", ", local.function_keys)}."
  }
  validation {
    condition     = alltrue([for n in values(var.reserved_concurrency) : n >= 0 && floor(n) == n])
    error_message = "reserved_concurrency values must be whole numbers >= 0 (leave a function out to use the unreserved pool)."
  }
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrency on each function's live alias: environments kept initialised (no cold starts), billed while they exist. 0 or absent: off."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.provisioned_concurrency) : contains(local.function_keys, name)])
    error_message = "provisioned_concurrency keys must be among ${join(", ", local.function_keys)}."
  }
  validation {
    condition     = alltrue([for n in values(var.provisioned_concurrency) : n >= 0 && floor(n) == n])
    error_message = "provisioned_concurrency values must be whole numbers >= 0 (0 = off)."
  }
}

variable "lambda_concurrency_quota" {
  description = "The account's Lambda concurrent executions quota in this region (Service Quotas L-B99A9384; 1000 once established, often 10 in a new account). Reservations and provisioned concurrency are checked against it at plan: Lambda keeps min(100, quota) unreserved. null: read it from Service Quotas when anything is reserved."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_concurrency_quota == null || try(var.lambda_concurrency_quota >= 1 && floor(var.lambda_concurrency_quota) == var.lambda_concurrency_quota, false)
    error_message = "lambda_concurrency_quota must be a whole number >= 1 (the account's concurrent executions quota), or null to read it from Service Quotas."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group the stack creates (functions, API access and execution logs)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's retention values (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "cursor_signing_key" {
  description = "HMAC key of the pagination cursors, written to an SSM SecureString parameter (write-only: never in the state; a saved plan file holds the variables it was made with). null: drawn at random when the parameter is written. Only sent when cursor_signing_key_version changes."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.cursor_signing_key == null || length(coalesce(var.cursor_signing_key, "x")) >= 32
    error_message = "cursor_signing_key must be at least 32 characters."
  }
}

variable "cursor_signing_key_version" {
  description = "Version of the cursor signing key: raise it to write a new key (outstanding cursors then fail with invalid_cursor). The key itself is write-only, so this number is how Terraform knows to send it."
  type        = number
  default     = 1

  validation {
    condition     = var.cursor_signing_key_version >= 1 && floor(var.cursor_signing_key_version) == var.cursor_signing_key_version
    error_message = "cursor_signing_key_version must be a whole number >= 1."
  }
}

variable "upload_url_ttl_seconds" {
  description = "Lifetime of the presigned POST a client uploads an image with."
  type        = number
  default     = 300

  validation {
    condition     = var.upload_url_ttl_seconds >= 30 && var.upload_url_ttl_seconds <= 3600
    error_message = "upload_url_ttl_seconds must be between 30 and 3600."
  }
}

variable "orphan_after_hours" {
  description = "Age after which housekeeping treats an unattached upload as an orphan."
  type        = number
  default     = 24

  validation {
    condition     = var.orphan_after_hours >= 1 && var.orphan_after_hours <= 720
    error_message = "orphan_after_hours must be between 1 and 720."
  }
}

variable "housekeeping_schedule" {
  description = "EventBridge schedule expression of the housekeeping run."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.housekeeping_schedule))
    error_message = "housekeeping_schedule must be rate(N unit) or cron(...)."
  }
}

# --- API -----------------------------------------------------------------------------------------

variable "api_stage_name" {
  description = "Name of the API Gateway stage (the execute-api URL ends with it; the custom domain maps it to /)."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,64}$", var.api_stage_name))
    error_message = "api_stage_name must be 1-64 letters, digits or underscores."
  }
}

variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second the stage admits (all methods)."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttling_rate_limit > 0 && var.api_throttling_rate_limit <= 10000
    error_message = "api_throttling_rate_limit must be between 1 and 10000."
  }
}

variable "api_throttling_burst_limit" {
  description = "Burst of requests the stage admits above the rate (token bucket size)."
  type        = number
  default     = 100

  validation {
    condition     = var.api_throttling_burst_limit > 0 && var.api_throttling_burst_limit <= 5000 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number between 1 and 5000."
  }
}

variable "manage_api_gateway_account" {
  description = "Set the region-wide API Gateway CloudWatch Logs role, which stages need before they may write access or execution logs (a new account has none, and the stage fails without it). It is account-level: it replaces a role set by anything else in this region, and destroy resets it. Turn off only if the account already names a role you want to keep."
  type        = bool
  default     = true
}

variable "dns_allow_overwrite" {
  description = "Let Terraform take over existing api.<domain> and www.<domain> (and apex) records in the zone instead of failing on them (Route53 refuses to create a record that exists). Off: an existing record stops the apply."
  type        = bool
  default     = false
}

# --- observability -------------------------------------------------------------------------------

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (confirm the subscription mail), or null."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", coalesce(var.alarm_email, "x@y.z")))
    error_message = "alarm_email must be an email address."
  }
}

variable "api_latency_p99_threshold_ms" {
  description = "API p99 latency (ms) above which the latency alarm fires."
  type        = number
  default     = 2000

  validation {
    condition     = var.api_latency_p99_threshold_ms > 0
    error_message = "api_latency_p99_threshold_ms must be positive."
  }
}

variable "xray_sampling_rule_enabled" {
  description = "Create the X-Ray sampling rule for the API (the local cloud serves it too)."
  type        = bool
  default     = true
}

variable "xray_sampling_rate" {
  description = "Fraction of API requests traced beyond the reservoir (0-1)."
  type        = number
  default     = 0.1

  validation {
    condition     = var.xray_sampling_rate >= 0 && var.xray_sampling_rate <= 1
    error_message = "xray_sampling_rate must be between 0 and 1."
  }
}

# --- chaos ---------------------------------------------------------------------------------------

variable "chaos_enabled" {
  description = "Opt in to chaos engineering: attach the AWS FIS Lambda extension to the API function and create FIS experiment templates (delay and error injection)."
  type        = bool
  default     = false
}

variable "fis_extension_layer_arn" {
  description = "Version ARN of the AWS FIS Lambda extension layer (chaos_enabled). null: the latest 1.x from AWS's public SSM parameter, which moves when AWS ships a new version (a new function version and the live alias move on an unrelated apply). Pin it to deploy only when you choose."
  type        = string
  default     = null

  validation {
    condition     = var.fis_extension_layer_arn == null || can(regex("^arn:aws:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.fis_extension_layer_arn))
    error_message = "fis_extension_layer_arn must be a layer version ARN, e.g. arn:aws:lambda:eu-west-1:211125607513:layer:aws-fis-extension-arm64:9."
  }
}

variable "chaos_invocation_percentage" {
  description = "Share of API function invocations an experiment affects (1-100)."
  type        = number
  default     = 25

  validation {
    condition     = var.chaos_invocation_percentage >= 1 && var.chaos_invocation_percentage <= 100 && floor(var.chaos_invocation_percentage) == var.chaos_invocation_percentage
    error_message = "chaos_invocation_percentage must be a whole number from 1 to 100."
  }
}

variable "chaos_duration_minutes" {
  description = "How long an experiment injects faults."
  type        = number
  default     = 5

  validation {
    condition     = var.chaos_duration_minutes >= 1 && var.chaos_duration_minutes <= 720 && floor(var.chaos_duration_minutes) == var.chaos_duration_minutes
    error_message = "chaos_duration_minutes must be a whole number from 1 to 720."
  }
}

variable "chaos_delay_ms" {
  description = "Start-up delay the add-delay experiment injects into an invocation."
  type        = number
  default     = 1500

  validation {
    condition     = var.chaos_delay_ms >= 1 && var.chaos_delay_ms <= 900000
    error_message = "chaos_delay_ms must be between 1 and 900000."
  }
}

variable "force_destroy_media" {
  description = "Let terraform destroy delete the media bucket with every user upload and version in it (off: destroy stops at a non-empty bucket; the bucket is versioned, so deleted uploads leave versions and delete markers until its lifecycle expires them; make destroy checks first)."
  type        = bool
  default     = false
}
