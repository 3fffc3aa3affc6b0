# The private_bucket module: no public access, ACLs off, SSE-S3, versioning, and a bucket policy of
# the TLS-only deny followed by the caller's allow statements (none at all where neither applies).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "postcards-test-things-123456789012"
  policy_statements = [{
    sid         = "CloudFrontReadsThings"
    actions     = ["s3:GetObject"]
    object_keys = ["things/*"]
    principals  = [{ type = "Service", identifiers = ["cloudfront.amazonaws.com"] }]
    conditions  = [{ test = "StringEquals", variable = "AWS:SourceArn", values = ["arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"] }]
  }]
}

run "the_bucket_is_private_encrypted_and_versioned" {
  command = apply

  module {
    source = "./modules/private_bucket"
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ]) && output.public_access_block == { block_public_acls = true, block_public_policy = true, ignore_public_acls = true, restrict_public_buckets = true }
    error_message = "The bucket must block every kind of public access (and say so in its output)."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced" && output.object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled: the bucket owner owns every object."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Objects must be encrypted with SSE-S3."
  }
  assert {
    condition     = output.versioning_status == "Enabled" && !aws_s3_bucket.this.force_destroy
    error_message = "By default the bucket keeps versions and destroy stops at a non-empty bucket."
  }
}

run "the_policy_denies_plain_http_then_allows_the_given_statements" {
  command = apply

  module {
    source = "./modules/private_bucket"
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this[0].statement : s.sid] == ["DenyInsecureTransport", "CloudFrontReadsThings"] && length(aws_s3_bucket_policy.this) == 1
    error_message = "The policy must hold the TLS-only deny first, then the caller's statements."
  }
  assert {
    condition = alltrue([
      data.aws_iam_policy_document.this[0].statement[0].effect == "Deny",
      data.aws_iam_policy_document.this[0].statement[0].resources == toset([aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]),
      one(data.aws_iam_policy_document.this[0].statement[0].condition).variable == "aws:SecureTransport",
      one(data.aws_iam_policy_document.this[0].statement[0].condition).values == tolist(["false"]),
    ])
    error_message = "Every request without TLS, to the bucket or any object, must be denied."
  }
  assert {
    condition = alltrue([
      data.aws_iam_policy_document.this[0].statement[1].resources == toset(["${aws_s3_bucket.this.arn}/things/*"]),
      one(data.aws_iam_policy_document.this[0].statement[1].principals).identifiers == toset(["cloudfront.amazonaws.com"]),
      one(data.aws_iam_policy_document.this[0].statement[1].condition).values == tolist(["arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"]),
    ])
    error_message = "An allow statement covers the given keys of this bucket, for its principals and conditions."
  }
}

run "plain_http_keeps_only_the_given_statements" {
  command = plan

  module {
    source = "./modules/private_bucket"
  }

  variables {
    deny_insecure_transport = false
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this[0].statement : s.sid] == ["CloudFrontReadsThings"]
    error_message = "Where the endpoint is plain HTTP, the TLS-only deny (which would lock everyone out) must go, and only it."
  }
}

run "plain_http_without_statements_has_no_policy_and_no_versions" {
  command = plan

  module {
    source = "./modules/private_bucket"
  }

  variables {
    deny_insecure_transport = false
    policy_statements       = []
    versioning              = false
  }

  assert {
    condition     = length(aws_s3_bucket_policy.this) == 0 && length(data.aws_iam_policy_document.this) == 0
    error_message = "With nothing to deny or allow there is no bucket policy."
  }
  assert {
    condition     = length(aws_s3_bucket_versioning.this) == 0 && output.versioning_status == null
    error_message = "versioning = false leaves versioning unset."
  }
}

run "a_bucket_name_with_dots_is_refused" {
  command = plan

  module {
    source = "./modules/private_bucket"
  }

  variables {
    name = "postcards.test.things"
  }

  expect_failures = [var.name]
}

run "a_statement_for_everyone_is_refused" {
  command = plan

  module {
    source = "./modules/private_bucket"
  }

  variables {
    policy_statements = [{ sid = "Everyone", actions = ["s3:GetObject"], object_keys = ["*"], principals = [{ type = "AWS", identifiers = ["*"] }] }]
  }

  expect_failures = [var.policy_statements]
}
