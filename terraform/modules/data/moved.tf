# The media bucket's resources before they moved into modules/private_bucket: state moves, no
# replacement. Keep these while any deployment may still hold the old addresses.
moved {
  from = aws_s3_bucket.media
  to   = module.media_bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_public_access_block.media
  to   = module.media_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_ownership_controls.media
  to   = module.media_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.media
  to   = module.media_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_versioning.media
  to   = module.media_bucket.aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_policy.media
  to   = module.media_bucket.aws_s3_bucket_policy.this[0]
}
