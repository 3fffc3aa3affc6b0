# Media: uploads/<id> (browsers POST here with a presigned policy) and thumbnails/<id>.webp (read by
# CloudFront through Origin Access Control). Private, TLS-only, owner-enforced, encrypted, versioned.
module "media_bucket" {
  source = "../private_bucket"
  #checkov:skip=CKV_AWS_18:Server access logs would need a log bucket and cost storage; CloudFront and Lambda logs already record who reads and writes media.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage for user images that are not business-critical.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES-256): CloudFront OAC and browser presigned POSTs work without KMS key grants; a customer-managed key adds cost per request.

  name                    = "${var.name_prefix}-media-${var.bucket_suffix}"
  force_destroy           = var.force_destroy_media
  deny_insecure_transport = var.deny_insecure_transport

  policy_statements = [{
    sid         = "CloudFrontReadsThumbnails"
    actions     = ["s3:GetObject"]
    object_keys = ["thumbnails/*"]
    principals  = [{ type = "Service", identifiers = ["cloudfront.amazonaws.com"] }]
    conditions  = [{ test = "StringEquals", variable = "AWS:SourceArn", values = [var.cdn_distribution_arn] }]
  }]
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = module.media_bucket.id

  # Backstop for uploads nobody attached to a postcard (housekeeping removes them sooner).
  rule {
    id     = "expire-stale-uploads"
    status = "Enabled"

    filter {
      prefix = "uploads/"
    }

    expiration {
      days = var.stale_upload_days
    }
  }

  rule {
    id     = "tidy-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Rules on noncurrent versions need versioning in place first.
  depends_on = [module.media_bucket.versioning_status]
}

# The site's JavaScript POSTs the image straight to S3 with the presigned form fields.
resource "aws_s3_bucket_cors_configuration" "media" {
  bucket = module.media_bucket.id

  cors_rule {
    allowed_methods = ["POST"]
    allowed_origins = var.upload_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag", "Location"]
    max_age_seconds = 3000
  }
}
