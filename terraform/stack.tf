# The parts, wired together. docs/architecture.md holds the contracts (names, environment, schemas).

module "data" {
  source = "./modules/data"

  name_prefix   = local.name
  bucket_suffix = local.account_id
  # The site's origins (with the local cloud's port where public_site_url gives one).
  upload_origins          = distinct(concat([local.site_origin], [for d in local.site_domains : "https://${d}"]))
  cdn_distribution_arn    = module.site.distribution_arn
  force_destroy_media     = var.force_destroy_media || local.is_local
  deny_insecure_transport = local.enforce_secure_transport
  upload_handler = {
    function_name = module.functions.functions["thumbnails"].name
    alias_name    = module.functions.functions["thumbnails"].alias_name
    alias_arn     = module.functions.functions["thumbnails"].alias_arn
  }
}

locals {
  tables       = module.data.tables
  media_bucket = module.data.media_bucket
  # Chaos (opt-in): the API function carries the FIS extension, its wrapper and config location.
  chaos_layers      = var.chaos_enabled ? [one(module.fis_extension[*].layer_arn)] : []
  chaos_environment = var.chaos_enabled ? one(module.fis_extension[*].function_environment) : {}
  chaos_statements  = var.chaos_enabled ? one(module.fis_extension[*].function_policy_statements) : []

  # The thumbnails function's on-failure queue, named as modules/functions/async.tf names it (by
  # name, not by the module's output: the functions' own settings cannot depend on the module).
  thumbnail_failure_queue     = "${local.name}-thumbnails-failures"
  thumbnail_failure_queue_arn = "arn:aws:sqs:${local.region}:${local.account_id}:${local.thumbnail_failure_queue}"

  # What each function's code calls (functions/<name>), and nothing else.
  function_policies = {
    postcards = [
      {
        sid       = "WriteAndReadPostcards"
        actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"]
        resources = [local.tables.postcards.arn, "${local.tables.postcards.arn}/index/feed-index"]
      },
      {
        # Slots are created here and claimed (UpdateItem) in the same transaction as the postcard.
        sid       = "CreateReadAndClaimUploads"
        actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem"]
        resources = [local.tables.uploads.arn]
      },
      {
        sid       = "IdempotencyRecords"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        resources = [local.tables.idempotency.arn]
      },
      {
        # No kms:Decrypt statement: the AWS-managed aws/ssm key "grants Decrypt permission to all IAM
        # principals in the AWS account" (docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html).
        sid       = "ReadCursorSigningKey"
        actions   = ["ssm:GetParameter"]
        resources = [aws_ssm_parameter.cursor_signing_key.arn]
      },
      {
        # The presigned POST is signed with this role: it can only ever write under uploads/.
        sid       = "PresignUploads"
        actions   = ["s3:PutObject"]
        resources = ["${local.media_bucket.arn}/uploads/*"]
      },
    ]
    thumbnails = [
      {
        sid       = "ReadAndRemoveUploads"
        actions   = ["s3:GetObject", "s3:DeleteObject"]
        resources = ["${local.media_bucket.arn}/uploads/*"]
      },
      {
        # Without it S3 answers a missing key with 403, which the function cannot tell from a fault.
        sid       = "TellMissingObjects"
        actions   = ["s3:ListBucket"]
        resources = [local.media_bucket.arn]
      },
      {
        sid       = "WriteThumbnails"
        actions   = ["s3:PutObject"]
        resources = ["${local.media_bucket.arn}/thumbnails/*"]
      },
      {
        sid       = "TrackUploads"
        actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        resources = [local.tables.uploads.arn]
      },
    ]
    housekeeping = [
      {
        sid       = "FindAndRemoveStaleUploads"
        actions   = ["dynamodb:Query", "dynamodb:DeleteItem"]
        resources = [local.tables.uploads.arn, "${local.tables.uploads.arn}/index/status-index"]
      },
      {
        # Uploads whose thumbnail failed for good are marked failed (functions/housekeeping/failures.py).
        sid       = "MarkUploadsWhoseThumbnailFailed"
        actions   = ["dynamodb:UpdateItem"]
        resources = [local.tables.uploads.arn]
      },
      {
        sid       = "DrainThumbnailFailures"
        actions   = ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:DeleteMessage"]
        resources = [local.thumbnail_failure_queue_arn]
      },
      {
        sid       = "CountPostcards"
        actions   = ["dynamodb:Query"]
        resources = ["${local.tables.postcards.arn}/index/feed-index"]
      },
      {
        sid       = "DeleteOrphanMedia"
        actions   = ["s3:DeleteObject"]
        resources = ["${local.media_bucket.arn}/uploads/*", "${local.media_bucket.arn}/thumbnails/*"]
      },
    ]
  }
}

module "functions" {
  source = "./modules/functions"

  name_prefix        = local.name
  architecture       = var.architecture
  runtime            = var.runtime
  build              = local.build
  alias_name         = local.alias_name
  log_retention_days = var.log_retention_days
  # Checked only when something is reserved (main.tf).
  account_concurrency_quota = local.lambda_concurrency_quota

  common_environment = {
    UPLOADS_TABLE                = local.tables.uploads.name
    SERVICE_VERSION              = var.service_version
    POWERTOOLS_SERVICE_NAME      = var.project
    POWERTOOLS_METRICS_NAMESPACE = var.project
    POWERTOOLS_LOG_LEVEL         = "INFO"
  }

  functions = {
    postcards = {
      handler                 = "postcards.handler.lambda_handler"
      description             = "The Postcards API (API Gateway proxy)"
      memory_mb               = lookup(var.function_memory_mb, "postcards", 512)
      timeout_s               = lookup(var.function_timeout_s, "postcards", 10)
      reserved_concurrency    = lookup(var.reserved_concurrency, "postcards", null)
      provisioned_concurrency = lookup(var.provisioned_concurrency, "postcards", 0)
      extra_layer_arns        = local.chaos_layers
      environment = merge({
        POSTCARDS_TABLE   = local.tables.postcards.name
        IDEMPOTENCY_TABLE = local.tables.idempotency.name
        MEDIA_BUCKET      = local.media_bucket.name
        MEDIA_BASE_URL    = "${local.site_origin}/media"
        SITE_ORIGIN       = local.site_origin
        # The name, not the key: the function reads the SecureString once per environment.
        CURSOR_SIGNING_KEY_PARAMETER = aws_ssm_parameter.cursor_signing_key.name
        UPLOAD_URL_TTL_SECONDS       = tostring(var.upload_url_ttl_seconds)
      }, local.chaos_environment)
      policy_statements = concat(local.function_policies.postcards, local.chaos_statements)
    }
    thumbnails = {
      handler                 = "thumbnails.handler.lambda_handler"
      description             = "Makes a WebP thumbnail of every upload"
      memory_mb               = lookup(var.function_memory_mb, "thumbnails", 1024)
      timeout_s               = lookup(var.function_timeout_s, "thumbnails", 60)
      reserved_concurrency    = lookup(var.reserved_concurrency, "thumbnails", null)
      provisioned_concurrency = lookup(var.provisioned_concurrency, "thumbnails", 0)
      environment = {
        MEDIA_BUCKET = local.media_bucket.name
      }
      policy_statements = local.function_policies.thumbnails
      async = {
        maximum_retry_attempts       = 2
        maximum_event_age_in_seconds = 3600
      }
    }
    housekeeping = {
      handler                 = "housekeeping.handler.lambda_handler"
      description             = "Removes orphaned uploads on a schedule"
      memory_mb               = lookup(var.function_memory_mb, "housekeeping", 256)
      timeout_s               = lookup(var.function_timeout_s, "housekeeping", 300)
      reserved_concurrency    = lookup(var.reserved_concurrency, "housekeeping", null)
      provisioned_concurrency = lookup(var.provisioned_concurrency, "housekeeping", 0)
      environment = {
        POSTCARDS_TABLE    = local.tables.postcards.name
        MEDIA_BUCKET       = local.media_bucket.name
        ORPHAN_AFTER_HOURS = tostring(var.orphan_after_hours)
        # Drained on every run: the uploads whose thumbnail failed for good are marked failed.
        THUMBNAIL_FAILURE_QUEUE = local.thumbnail_failure_queue
      }
      policy_statements = local.function_policies.housekeeping
      async = {
        maximum_retry_attempts       = 0
        maximum_event_age_in_seconds = 3600
      }
    }
  }
}

module "api" {
  source = "./modules/api"

  name                        = local.name
  stage_name                  = var.api_stage_name
  container_api_url           = var.container_api_url
  cors_origin                 = local.site_origin
  throttling_rate_limit       = var.api_throttling_rate_limit
  throttling_burst_limit      = var.api_throttling_burst_limit
  log_retention_days          = var.log_retention_days
  manage_account_logging_role = var.manage_api_gateway_account
  # moto answers the reset (a replace of /cloudwatchRoleArn without a value, what provider 5.100
  # sends) with a 500 (KeyError on "value"); on AWS destroy clears the setting.
  reset_account_on_delete = !local.is_local
  handler = {
    function_name    = module.functions.functions["postcards"].name
    alias_name       = module.functions.functions["postcards"].alias_name
    alias_invoke_arn = module.functions.functions["postcards"].alias_invoke_arn
  }
}

module "domain" {
  source = "./modules/domain"

  domain_name     = local.api_domain
  zone_id         = local.zone_id
  allow_overwrite = var.dns_allow_overwrite
  rest_api_id     = module.api.rest_api_id
  stage_name      = module.api.stage_name
}

module "site" {
  source = "./modules/site"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name_prefix   = local.name
  bucket_suffix = local.account_id
  domain_names  = local.site_domains
  zone_id       = local.zone_id
  site_dir      = "${path.root}/../site"
  # An existing www/apex record is taken over only when the user says so.
  dns_allow_overwrite = var.dns_allow_overwrite
  media_bucket        = local.media_bucket
  config = {
    api_url           = local.api_url
    container_api_url = var.container_api_url
    # What the site's Lambda lab says about the API function: its limits as deployed.
    api_function = {
      name                    = module.functions.functions["postcards"].name
      alias                   = module.functions.functions["postcards"].alias_name
      reserved_concurrency    = module.functions.functions["postcards"].reserved_concurrency
      provisioned_concurrency = module.functions.functions["postcards"].provisioned_concurrency
    }
  }
  # The two APIs and the media bucket's upload endpoints (the browser POSTs images straight to S3;
  # on the local cloud the presigned POST goes to its AWS endpoint, by HTTPS like the rest).
  connect_origins = distinct(concat([
    local.api_url,
    local.container_api_origin,
    "https://${local.media_bucket.regional_domain_name}",
    "https://${local.media_bucket.name}.s3.amazonaws.com",
  ], local.is_local ? [regex("^(https?://[^/]+)", var.local_endpoint)[0]] : []))

  deny_insecure_transport         = local.enforce_secure_transport
  response_headers_policy_enabled = !local.is_local
  publish_functions               = !local.is_local
  # The local cloud deploys nothing to edges; waiting is only meaningful (and kept) on AWS.
  wait_for_deployment = !local.is_local
}

module "schedule" {
  source = "./modules/schedule"

  name                = "${local.name}-housekeeping"
  schedule_expression = var.housekeeping_schedule
  target = {
    function_name = module.functions.functions["housekeeping"].name
    alias_name    = module.functions.functions["housekeeping"].alias_name
    alias_arn     = module.functions.functions["housekeeping"].alias_arn
  }
}

module "observability" {
  source = "./modules/observability"

  name                         = local.name
  function_names               = local.function_names
  api                          = { name = local.name, stage_name = module.api.stage_name }
  api_latency_p99_threshold_ms = var.api_latency_p99_threshold_ms
  alarm_email                  = var.alarm_email
  xray_sampling_rule_enabled   = var.xray_sampling_rule_enabled
  xray_sampling_rate           = var.xray_sampling_rate
}

module "fis_extension" {
  source = "./modules/fis_extension"
  count  = var.chaos_enabled ? 1 : 0

  name_prefix             = local.name
  bucket_suffix           = local.account_id
  architecture            = var.architecture
  layer_arn               = var.fis_extension_layer_arn
  deny_insecure_transport = local.enforce_secure_transport
}

module "chaos" {
  source = "./modules/chaos"
  count  = var.chaos_enabled ? 1 : 0

  name_prefix           = local.name
  config_bucket         = one(module.fis_extension[*].config_bucket)
  api                   = { name = local.name, stage_name = module.api.stage_name }
  invocation_percentage = var.chaos_invocation_percentage
  duration_minutes      = var.chaos_duration_minutes
  delay_ms              = var.chaos_delay_ms
  target_function = {
    name = module.functions.functions["postcards"].name
    arn  = module.functions.functions["postcards"].arn
  }
}
