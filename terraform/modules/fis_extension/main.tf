# What a function needs for FIS's Lambda actions: the AWS-published extension layer for its
# architecture (from the public SSM parameter), the wrapper that puts the extension in front of the
# handler, and the S3 location where FIS writes the active faults for the extension to poll.
data "aws_ssm_parameter" "fis_extension" {
  name = "/aws/service/fis/lambda-extension/AWS-FIS-extension-${var.architecture}/1.x.x"
}

locals {
  config_prefix = "FisConfigs"
}

resource "aws_s3_bucket" "config" {
  bucket        = "${var.name_prefix}-fis-${var.bucket_suffix}"
  force_destroy = true
  #checkov:skip=CKV_AWS_18:Holds only short-lived fault configurations written by FIS.
  #checkov:skip=CKV_AWS_144:Fault configurations are transient; nothing to replicate.
  #checkov:skip=CKV_AWS_145:SSE-S3 suffices for fault configurations; KMS would need grants for FIS and the extension.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to fault configurations; the extension polls them.
  #checkov:skip=CKV_AWS_21:Fault configurations are rewritten on every experiment; old versions have no value.
}

resource "aws_s3_bucket_public_access_block" "config" {
  bucket                  = aws_s3_bucket.config.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "config" {
  bucket = aws_s3_bucket.config.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "config" {
  bucket = aws_s3_bucket.config.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "config" {
  bucket = aws_s3_bucket.config.id

  rule {
    id     = "expire-stale-configs"
    status = "Enabled"

    # The bucket holds nothing but fault configurations.
    filter {}

    expiration {
      days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "config_bucket" {
  count = var.deny_insecure_transport ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.config.arn, "${aws_s3_bucket.config.arn}/*"]

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

resource "aws_s3_bucket_policy" "config" {
  count = var.deny_insecure_transport ? 1 : 0

  bucket = aws_s3_bucket.config.id
  policy = data.aws_iam_policy_document.config_bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.config]
}
