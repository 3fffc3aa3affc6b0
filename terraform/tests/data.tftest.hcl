# The data module: tables per docs/architecture.md, the private media bucket and its trigger.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix          = "postcards-test"
  bucket_suffix        = "123456789012"
  upload_origins       = ["https://www.example.com"]
  cdn_distribution_arn = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
  upload_handler = {
    function_name = "postcards-test-thumbnails"
    alias_name    = "live"
    alias_arn     = "arn:aws:lambda:eu-west-1:123456789012:function:postcards-test-thumbnails:live"
  }
}

run "tables_are_durable_and_indexed" {
  command = plan

  module {
    source = "./modules/data"
  }

  assert {
    condition = alltrue([for t in [aws_dynamodb_table.postcards, aws_dynamodb_table.uploads, aws_dynamodb_table.idempotency] :
      t.billing_mode == "PAY_PER_REQUEST" && t.point_in_time_recovery[0].enabled && t.server_side_encryption[0].enabled && t.hash_key == "id"
    ])
    error_message = "Tables must be on-demand, keyed by id, with PITR and encryption."
  }
  assert {
    condition = alltrue([
      one(aws_dynamodb_table.postcards.global_secondary_index).name == "feed-index",
      one(aws_dynamodb_table.postcards.global_secondary_index).range_key == "feed_key",
      one(aws_dynamodb_table.uploads.global_secondary_index).name == "status-index",
      one(aws_dynamodb_table.uploads.global_secondary_index).range_key == "created_at",
      aws_dynamodb_table.idempotency.ttl[0].attribute_name == "expiration" && aws_dynamodb_table.idempotency.ttl[0].enabled,
    ])
    error_message = "Index, key and TTL names must match docs/architecture.md."
  }
}

run "media_bucket_is_private_and_triggers_thumbnails" {
  command = apply

  module {
    source = "./modules/data"
  }

  assert {
    condition     = module.media_bucket.public_access_block == { block_public_acls = true, block_public_policy = true, ignore_public_acls = true, restrict_public_buckets = true }
    error_message = "The media bucket must block every kind of public access."
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_notification.media.lambda_function[0].lambda_function_arn == var.upload_handler.alias_arn,
      aws_s3_bucket_notification.media.lambda_function[0].filter_prefix == "uploads/",
      aws_s3_bucket_notification.media.lambda_function[0].events == toset(["s3:ObjectCreated:*"]),
      aws_lambda_permission.media_invokes_upload_handler.qualifier == "live",
      aws_lambda_permission.media_invokes_upload_handler.principal == "s3.amazonaws.com",
    ])
    error_message = "Objects created under uploads/ (only) must invoke the thumbnail function's live alias."
  }
  assert {
    condition     = one(aws_s3_bucket_cors_configuration.media.cors_rule).allowed_origins == toset(["https://www.example.com"]) && one(aws_s3_bucket_cors_configuration.media.cors_rule).allowed_methods == toset(["POST"])
    error_message = "Only the site may POST uploads from a browser."
  }
  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.media.rule : r if r.id == "expire-stale-uploads"]).filter[0].prefix == "uploads/"
    error_message = "Stale uploads/ objects must expire."
  }
}
