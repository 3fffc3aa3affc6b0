# The config bucket's resources before they moved into modules/private_bucket: state moves, no
# replacement. Keep these while any deployment may still hold the old addresses.
moved {
  from = aws_s3_bucket.config
  to   = module.config_bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_public_access_block.config
  to   = module.config_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_ownership_controls.config
  to   = module.config_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.config
  to   = module.config_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

# Present only while the bucket denies plain-HTTP requests (count 0 or 1 before and after).
moved {
  from = aws_s3_bucket_policy.config
  to   = module.config_bucket.aws_s3_bucket_policy.this
}
