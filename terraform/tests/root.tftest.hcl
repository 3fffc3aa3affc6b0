# The root module: wiring between the parts, the local-cloud switches and input validation (bad
# values fail at plan with a clear message).

mock_provider "aws" {
  source = "./tests/mocks"
}

mock_provider "aws" {
  alias  = "us_east_1"
  source = "./tests/mocks"
}

# ACM answers one DNS validation record per name; the mock must too.
override_resource {
  target = module.domain.module.certificate.aws_acm_certificate.this
  values = {
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/regional-api"
    domain_validation_options = [
      { domain_name = "api.example.com", resource_record_name = "_a1.api.example.com.", resource_record_type = "CNAME", resource_record_value = "_v1.acm-validations.aws." },
    ]
  }
}

override_resource {
  target = module.site.module.certificate.aws_acm_certificate.this
  values = {
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/cloudfront-site"
    domain_validation_options = [
      { domain_name = "www.example.com", resource_record_name = "_b2.www.example.com.", resource_record_type = "CNAME", resource_record_value = "_v2.acm-validations.aws." },
    ]
  }
}

variables {
  domain_name       = "example.com"
  container_api_url = "https://legacy.example.net/api"
  architecture      = "arm64"
  artifacts_dir     = "tests/fixtures/build/arm64"
}

run "local_cloud" {
  command = plan

  variables {
    local_endpoint = "https://127.0.0.1:4566"
    domain_name    = "postcards.localhost"
  }

  assert {
    condition     = length(aws_route53_zone.this) == 1 && length(data.aws_route53_zone.this) == 0
    error_message = "On the local cloud the hosted zone is created."
  }
  assert {
    condition     = module.observability.xray_sampling_rule_name != null
    error_message = "The local cloud serves X-Ray sampling rules: the rule Terraform creates on AWS is created there too."
  }
  assert {
    condition     = module.site.distribution_wait_for_deployment == false
    error_message = "The local cloud deploys to no edges: terraform must not wait for CloudFront's Deployed."
  }
}

run "aws_waits_for_cloudfront_deployment" {
  command = plan

  assert {
    condition     = module.site.distribution_wait_for_deployment == true
    error_message = "On AWS the apply must wait until the distribution is Deployed."
  }
}

run "browser_urls_follow_the_public_overrides" {
  command = plan

  variables {
    local_endpoint  = "https://127.0.0.1:4566"
    domain_name     = "postcards.localhost"
    public_site_url = "https://www.postcards.localhost:4443"
    public_api_url  = "https://api.postcards.localhost:4443"
  }

  assert {
    condition     = output.browser_urls.site_origin == "https://www.postcards.localhost:4443"
    error_message = "The site origin (the API's CORS origin) must be the one browsers use."
  }
  assert {
    condition     = output.browser_urls.media_base_url == "https://www.postcards.localhost:4443/media"
    error_message = "Thumbnail URLs must be under the site origin browsers use."
  }
  assert {
    condition     = output.browser_urls.api_url == "https://api.postcards.localhost:4443"
    error_message = "config.json must name the API URL browsers use."
  }
}

run "a_public_url_with_a_path_is_refused" {
  command = plan

  variables {
    public_site_url = "https://www.postcards.localhost:4443/"
  }

  expect_failures = [var.public_site_url]
}

run "a_given_zone_id_is_used_as_is" {
  command = plan

  variables {
    hosted_zone_id = "Z0GIVEN0000000000000"
  }

  assert {
    condition     = output.hosted_zone_id == "Z0GIVEN0000000000000" && length(aws_route53_zone.this) == 0 && length(data.aws_route53_zone.this) == 0
    error_message = "hosted_zone_id skips both lookup and creation."
  }
}

run "bad_domain_is_refused" {
  command = plan

  variables {
    domain_name = "Not A Domain!"
  }

  expect_failures = [var.domain_name]
}

run "unknown_architecture_is_refused" {
  command = plan

  variables {
    architecture = "sparc"
  }

  expect_failures = [var.architecture]
}

run "an_unknown_function_key_is_refused" {
  command = plan

  variables {
    function_memory_mb = { postcard = 512 }
  }

  expect_failures = [var.function_memory_mb]
}

run "negative_reserved_concurrency_is_refused" {
  command = plan

  variables {
    reserved_concurrency = { postcards = -5 }
  }

  expect_failures = [var.reserved_concurrency]
}

run "negative_provisioned_concurrency_is_refused" {
  command = plan

  variables {
    provisioned_concurrency = { postcards = -1 }
  }

  expect_failures = [var.provisioned_concurrency]
}

run "api_timeout_beyond_the_gateway_limit_is_refused" {
  command = plan

  variables {
    function_timeout_s = { postcards = 60 }
  }

  expect_failures = [var.function_timeout_s]
}

run "container_api_url_with_trailing_slash_is_refused" {
  command = plan

  variables {
    container_api_url = "https://legacy.example.net/"
  }

  expect_failures = [var.container_api_url]
}

# Last: it applies (to the mocks), and later plans would then start from its state.
run "aws_defaults" {
  command = apply

  assert {
    condition     = length(data.aws_route53_zone.this) == 1 && length(aws_route53_zone.this) == 0
    error_message = "On AWS the hosted zone is looked up, not created."
  }
  assert {
    condition     = module.observability.xray_sampling_rule_name == "postcards-prod-api"
    error_message = "On AWS the X-Ray sampling rule exists."
  }
  assert {
    condition     = output.site_url == "https://www.example.com" && output.api_url == "https://api.example.com"
    error_message = "The site lives at www.<domain> and the API at api.<domain>."
  }
  assert {
    condition     = output.function_names == { postcards = "postcards-prod-postcards", thumbnails = "postcards-prod-thumbnails", housekeeping = "postcards-prod-housekeeping" }
    error_message = "Function names are <project>-<environment>-<function>."
  }
  assert {
    condition     = strcontains(output.site_security_headers["Content-Security-Policy"], "connect-src 'self' https://api.example.com https://legacy.example.net ")
    error_message = "The site's CSP must admit the API and the container API's origin."
  }
  assert {
    condition     = endswith(output.site_security_headers["Content-Security-Policy"], "; upgrade-insecure-requests") && !strcontains(output.site_security_headers["Content-Security-Policy"], "http://")
    error_message = "On AWS the CSP upgrades insecure requests and admits no plain-HTTP origin."
  }
}

run "local_cloud_gets_the_same_csp_with_its_https_origins" {
  command   = apply
  state_key = "local_cloud_csp" # its own state: the plan runs above must not see these resources

  # example.com: the file's ACM overrides answer validation records for its names.
  variables {
    local_endpoint    = "https://127.0.0.1:4566"
    public_site_url   = "https://www.postcards.localhost:4443"
    public_api_url    = "https://api.postcards.localhost:4443"
    container_api_url = "https://127.0.0.1:4570"
  }

  assert {
    condition     = strcontains(output.site_security_headers["Content-Security-Policy"], "connect-src 'self' https://api.postcards.localhost:4443 https://127.0.0.1:4570 ")
    error_message = "The local site's CSP must admit the two API origins browsers use."
  }
  assert {
    condition     = endswith(regex("connect-src ([^;]*)", output.site_security_headers["Content-Security-Policy"])[0], " https://127.0.0.1:4566")
    error_message = "Photos are POSTed to the local AWS endpoint there: connect-src must admit it."
  }
  assert {
    condition     = endswith(output.site_security_headers["Content-Security-Policy"], "; upgrade-insecure-requests") && !strcontains(output.site_security_headers["Content-Security-Policy"], "http://")
    error_message = "The local site gets AWS's CSP: upgrade-insecure-requests, and no plain-HTTP origin."
  }
  assert {
    condition     = output.site_security_headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    error_message = "The local site gets AWS's HSTS header."
  }
}
