# The site bucket's resources before they moved into modules/private_bucket: state moves, no
# replacement. Keep these while any deployment may still hold the old addresses.
moved {
  from = aws_s3_bucket.site
  to   = module.bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_public_access_block.site
  to   = module.bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_ownership_controls.site
  to   = module.bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.site
  to   = module.bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_versioning.site
  to   = module.bucket.aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_policy.site
  to   = module.bucket.aws_s3_bucket_policy.this[0]
}
