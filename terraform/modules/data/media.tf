# Media: uploads/<id> (browsers POST here with a presigned policy) and thumbnails/<id>.webp (read by
# CloudFront through Origin Access Control). Private, TLS-only, owner-enforced, encrypted.
resource "aws_s3_bucket" "media" {
  bucket        = "${var.name_prefix}-media-${var.bucket_suffix}"
  force_destroy = var.force_destroy_media
  #checkov:skip=CKV_AWS_18:Server access logs would need a log bucket and cost storage; CloudFront and Lambda logs already record who reads and writes media.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage for user images that are not business-critical.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES-256): CloudFront OAC and browser presigned POSTs work without KMS key grants; a customer-managed key adds cost per request.
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket                  = aws_s3_bucket.media.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id

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

  depends_on = [aws_s3_bucket_versioning.media]
}

# The site's JavaScript POSTs the image straight to S3 with the presigned form fields.
resource "aws_s3_bucket_cors_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  cors_rule {
    allowed_methods = ["POST"]
    allowed_origins = var.upload_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag", "Location"]
    max_age_seconds = 3000
  }
}

data "aws_iam_policy_document" "media" {
  dynamic "statement" {
    for_each = var.deny_insecure_transport ? [1] : []
    content {
      sid       = "DenyInsecureTransport"
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["false"]
      }
    }
  }

  statement {
    sid       = "CloudFrontReadsThumbnails"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.media.arn}/thumbnails/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [var.cdn_distribution_arn]
    }
  }
}

resource "aws_s3_bucket_policy" "media" {
  bucket = aws_s3_bucket.media.id
  policy = data.aws_iam_policy_document.media.json

  depends_on = [aws_s3_bucket_public_access_block.media]
}
