output "id" {
  description = "The bucket's name."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "The bucket's ARN."
  value       = aws_s3_bucket.this.arn
}

output "regional_domain_name" {
  description = "The bucket's regional domain name (what a CloudFront origin names)."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}

# Read back from the resources, so that callers' tests can check what the bucket is set to.

output "public_access_block" {
  description = "The bucket's public access block settings."
  value = {
    block_public_acls       = aws_s3_bucket_public_access_block.this.block_public_acls
    block_public_policy     = aws_s3_bucket_public_access_block.this.block_public_policy
    ignore_public_acls      = aws_s3_bucket_public_access_block.this.ignore_public_acls
    restrict_public_buckets = aws_s3_bucket_public_access_block.this.restrict_public_buckets
  }
}

output "object_ownership" {
  description = "The bucket's object ownership (BucketOwnerEnforced: ACLs are disabled)."
  value       = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership
}

output "versioning_status" {
  description = "The bucket's versioning status, or null when versioning is off. A lifecycle configuration with noncurrent-version rules depends_on it: versioning must be in place first."
  value       = one(aws_s3_bucket_versioning.this[*].versioning_configuration[0].status)
}
