# The site module: certificate region, TLS, OAC, private buckets, CSP and the /media behaviour.

mock_provider "aws" {
  source = "./tests/mocks"
}

mock_provider "aws" {
  alias  = "us_east_1"
  source = "./tests/mocks"
}

# ACM answers one DNS validation record per name (the mock must too); the region is in the ARN.
override_resource {
  target = module.certificate.aws_acm_certificate.this
  values = {
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/cloudfront-site"
    domain_validation_options = [
      { domain_name = "www.example.com", resource_record_name = "_b2.www.example.com.", resource_record_type = "CNAME", resource_record_value = "_v2.acm-validations.aws." },
      { domain_name = "example.com", resource_record_name = "_c3.example.com.", resource_record_type = "CNAME", resource_record_value = "_v3.acm-validations.aws." },
    ]
  }
}

variables {
  name_prefix   = "postcards-test"
  bucket_suffix = "123456789012"
  domain_names  = ["www.example.com", "example.com"]
  zone_id       = "Z0TESTZONE0000000000"
  site_dir      = "tests/fixtures/site"
  config = {
    api_url           = "https://api.example.com"
    container_api_url = "https://legacy.example.net/api"
  }
  connect_origins = ["https://api.example.com", "https://legacy.example.net", "https://media.s3.eu-west-1.amazonaws.com"]
  media_bucket = {
    name                 = "media"
    arn                  = "arn:aws:s3:::media"
    regional_domain_name = "media.s3.eu-west-1.amazonaws.com"
  }
}

run "cloudfront_uses_a_us_east_1_certificate_with_modern_tls" {
  command = apply

  module {
    source = "./modules/site"
  }

  assert {
    condition     = startswith(aws_cloudfront_distribution.site.viewer_certificate[0].acm_certificate_arn, "arn:aws:acm:us-east-1:")
    error_message = "CloudFront must use the certificate issued in us-east-1 (the provider alias)."
  }
  assert {
    condition = alltrue([
      aws_cloudfront_distribution.site.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021",
      aws_cloudfront_distribution.site.viewer_certificate[0].ssl_support_method == "sni-only",
      aws_cloudfront_distribution.site.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https",
      aws_cloudfront_distribution.site.http_version == "http2and3",
      aws_cloudfront_distribution.site.is_ipv6_enabled,
      aws_cloudfront_distribution.site.default_cache_behavior[0].compress,
    ])
    error_message = "CloudFront must redirect to HTTPS, require TLS 1.2 (2021 ciphers), serve HTTP/2+3, IPv6 and compress."
  }
  assert {
    condition     = aws_cloudfront_distribution.site.aliases == toset(["www.example.com", "example.com"]) && length(aws_route53_record.alias) == 4
    error_message = "Both names need a CloudFront alias and A + AAAA records (CloudFront serves IPv6)."
  }
  assert {
    condition     = alltrue([for r in aws_route53_record.alias : !r.allow_overwrite])
    error_message = "By default an existing www/apex record stops the apply instead of being replaced."
  }
  assert {
    condition     = length(module.certificate.validation_record_fqdns) == 2
    error_message = "www and apex each need their own validation record."
  }
}

run "buckets_are_private_and_read_through_oac" {
  command = apply

  module {
    source = "./modules/site"
  }

  assert {
    condition     = module.bucket.public_access_block == { block_public_acls = true, block_public_policy = true, ignore_public_acls = true, restrict_public_buckets = true }
    error_message = "The site bucket must block every kind of public access."
  }
  assert {
    condition     = module.bucket.object_ownership == "BucketOwnerEnforced" && module.bucket.versioning_status == "Enabled"
    error_message = "The site bucket must disable ACLs and keep versions."
  }
  assert {
    condition = alltrue([
      aws_cloudfront_origin_access_control.s3.origin_access_control_origin_type == "s3",
      aws_cloudfront_origin_access_control.s3.signing_behavior == "always",
      aws_cloudfront_origin_access_control.s3.signing_protocol == "sigv4",
    ])
    error_message = "The Origin Access Control must sign every request with SigV4."
  }
  assert {
    condition     = length(aws_cloudfront_distribution.site.origin) == 2 && alltrue([for o in aws_cloudfront_distribution.site.origin : o.origin_access_control_id == aws_cloudfront_origin_access_control.s3.id && length(o.custom_origin_config) == 0])
    error_message = "Both origins (site, media) must be S3 REST origins read through the OAC, not website endpoints."
  }
}

run "media_is_served_from_the_media_bucket_without_the_prefix" {
  command = apply

  module {
    source = "./modules/site"
  }

  assert {
    condition = alltrue([for b in aws_cloudfront_distribution.site.ordered_cache_behavior : b.target_origin_id == "media" && one(b.function_association).function_arn == aws_cloudfront_function.strip_media_prefix.arn && one(b.function_association).event_type == "viewer-request"
    if b.path_pattern == "/media/*"]) && length(aws_cloudfront_distribution.site.ordered_cache_behavior) == 1
    error_message = "/media/* must go to the media bucket through the prefix-stripping viewer-request function."
  }
  assert {
    condition     = aws_cloudfront_function.strip_media_prefix.publish
    error_message = "On AWS the CloudFront Function must be published (a distribution may only use LIVE functions)."
  }
}

run "csp_allows_exactly_the_given_origins" {
  command = plan

  module {
    source = "./modules/site"
  }

  assert {
    condition     = regex("connect-src ([^;]*)", aws_cloudfront_response_headers_policy.security[0].security_headers_config[0].content_security_policy[0].content_security_policy)[0] == "'self' https://api.example.com https://legacy.example.net https://media.s3.eu-west-1.amazonaws.com"
    error_message = "connect-src must be exactly 'self' plus the given origins."
  }
  assert {
    condition     = !strcontains(aws_cloudfront_response_headers_policy.security[0].security_headers_config[0].content_security_policy[0].content_security_policy, "*") && strcontains(output.content_security_policy, "frame-ancestors 'none'") && strcontains(output.content_security_policy, "script-src 'self';")
    error_message = "The CSP must have no wildcard, forbid framing and only allow the site's own scripts."
  }
  assert {
    condition     = aws_cloudfront_response_headers_policy.security[0].security_headers_config[0].strict_transport_security[0].access_control_max_age_sec >= 31536000 && aws_cloudfront_response_headers_policy.security[0].security_headers_config[0].frame_options[0].frame_option == "DENY"
    error_message = "HSTS must last at least a year and framing must be denied."
  }
}

run "site_files_get_content_types_and_config_json_is_generated" {
  command = plan

  module {
    source = "./modules/site"
  }

  assert {
    condition = alltrue([
      aws_s3_object.site_file["index.html"].content_type == "text/html; charset=utf-8",
      aws_s3_object.site_file["index.html"].cache_control == "no-cache",
      aws_s3_object.site_file["assets/app.js"].content_type == "text/javascript; charset=utf-8",
      aws_s3_object.site_file["assets/logo.svg"].content_type == "image/svg+xml",
    ])
    error_message = "Site files must be uploaded with their content types (HTML not cached)."
  }
  assert {
    condition     = !contains(keys(aws_s3_object.site_file), "config.json") && jsondecode(aws_s3_object.config.content) == { api_url = "https://api.example.com", container_api_url = "https://legacy.example.net/api" }
    error_message = "config.json must be Terraform's own, with the API URL and the container API URL."
  }
}

run "config_json_tells_the_lab_the_api_functions_concurrency" {
  command = plan

  module {
    source = "./modules/site"
  }

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  variables {
    config = {
      api_url           = "https://api.example.com"
      container_api_url = "https://legacy.example.net/api"
      api_function      = { name = "postcards-test-postcards", alias = "live" }
    }
  }

  assert {
    condition     = jsondecode(aws_s3_object.config.content).api_function == { name = "postcards-test-postcards", alias = "live", reserved_concurrency = null, provisioned_concurrency = 0 }
    error_message = "config.json must carry the API function's concurrency, null reserved meaning unreserved."
  }
}

run "a_missing_site_folder_deploys_config_json_only" {
  command = plan

  module {
    source = "./modules/site"
  }

  variables {
    site_dir = "tests/fixtures/no-such-folder"
  }

  assert {
    condition     = length(aws_s3_object.site_file) == 0 && aws_s3_object.config.key == "config.json"
    error_message = "Without site files only config.json is uploaded."
  }
}

run "local_cloud_gets_no_headers_policy_and_no_published_function" {
  command = plan

  module {
    source = "./modules/site"
  }

  variables {
    response_headers_policy_enabled = false
    publish_functions               = false
    deny_insecure_transport         = false
  }

  assert {
    condition     = length(aws_cloudfront_response_headers_policy.security) == 0 && !aws_cloudfront_function.strip_media_prefix.publish
    error_message = "The local-cloud switches must drop the headers policy and function publishing."
  }
  assert {
    condition     = output.security_headers["Content-Security-Policy"] == output.content_security_policy
    error_message = "The headers stay available as an output for the local site stand-in."
  }
}

run "existing_site_records_are_taken_over_only_when_allowed" {
  command = plan

  module {
    source = "./modules/site"
  }

  variables {
    dns_allow_overwrite = true
  }

  assert {
    condition     = alltrue([for r in aws_route53_record.alias : r.allow_overwrite])
    error_message = "dns_allow_overwrite lets the site's aliases replace existing www/apex records."
  }
}
