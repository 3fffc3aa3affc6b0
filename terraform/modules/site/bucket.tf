# The site's files: a private bucket that only this distribution reads (Origin Access Control), never
# the S3 website endpoint.
module "bucket" {
  source = "../private_bucket"
  #checkov:skip=CKV_AWS_18:Server access logs would need a log bucket; only CloudFront reads this bucket and its requests are what matter.
  #checkov:skip=CKV_AWS_144:The site is rebuilt from the repository by terraform apply; replication would only double storage.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES-256): CloudFront OAC reads it without KMS key grants; the files are public web content anyway.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to site uploads; Terraform writes every object.

  name                    = "${var.name_prefix}-site-${var.bucket_suffix}"
  force_destroy           = var.force_destroy
  deny_insecure_transport = var.deny_insecure_transport

  policy_statements = [{
    sid         = "CloudFrontReadsSite"
    actions     = ["s3:GetObject"]
    object_keys = ["*"]
    principals  = [{ type = "Service", identifiers = ["cloudfront.amazonaws.com"] }]
    conditions  = [{ test = "StringEquals", variable = "AWS:SourceArn", values = [aws_cloudfront_distribution.site.arn] }]
  }]
}

resource "aws_s3_bucket_lifecycle_configuration" "site" {
  bucket = module.bucket.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Rules on noncurrent versions need versioning in place first.
  depends_on = [module.bucket.versioning_status]
}
