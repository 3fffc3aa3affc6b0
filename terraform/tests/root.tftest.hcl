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

# The refusal itself is the functions module's precondition (functions.tftest.hcl: a quota of 10
# refuses any reservation); here, where the quota comes from.
run "a_reservation_reads_the_quota_from_service_quotas" {
  command = plan

  variables {
    reserved_concurrency = { thumbnails = 2 }
  }

  override_data {
    target = data.aws_servicequotas_service_quota.lambda_concurrency
    values = { value = 1000 }
  }

  assert {
    condition     = data.aws_servicequotas_service_quota.lambda_concurrency[0].quota_code == "L-B99A9384" && data.aws_servicequotas_service_quota.lambda_concurrency[0].service_code == "lambda" && local.lambda_concurrency_quota == 1000
    error_message = "With something reserved and no lambda_concurrency_quota, the quota is Lambda's Concurrent executions from Service Quotas."
  }
}

run "a_given_quota_is_used_without_asking_service_quotas" {
  command = plan

  variables {
    reserved_concurrency     = { thumbnails = 2, housekeeping = 1 }
    provisioned_concurrency  = { postcards = 1 }
    lambda_concurrency_quota = 1000
  }

  assert {
    condition     = length(data.aws_servicequotas_service_quota.lambda_concurrency) == 0 && local.lambda_concurrency_quota == 1000 && local.committed_concurrency == 4
    error_message = "With lambda_concurrency_quota set, Service Quotas is not read; provisioned concurrency without a reservation counts too."
  }
}

run "a_zero_quota_is_refused" {
  command = plan

  variables {
    lambda_concurrency_quota = 0
  }

  expect_failures = [var.lambda_concurrency_quota]
}

run "more_than_seven_tags_are_refused" {
  command = plan

  variables {
    tags = { a = "1", b = "2", c = "3", d = "4", e = "5", f = "6", g = "7", h = "8" }
  }

  expect_failures = [var.tags]
}

run "a_tag_the_stack_sets_is_refused" {
  command = plan

  variables {
    tags = { Environment = "dev" }
  }

  expect_failures = [var.tags]
}

run "seven_tags_pass" {
  command = plan

  variables {
    tags = { a = "1", b = "2", c = "3", d = "4", e = "5", f = "6", g = "7" }
  }

  assert {
    condition     = length(local.default_tags) == 10
    error_message = "Seven of the user's and the stack's three make S3's limit of 10 on an object."
  }
}

run "a_govcloud_region_is_refused" {
  command = plan

  variables {
    region = "us-gov-west-1"
  }

  expect_failures = [var.region]
}

run "a_china_region_is_refused" {
  command = plan

  variables {
    region = "cn-north-1"
  }

  expect_failures = [var.region]
}

run "a_region_from_the_environment_outside_the_aws_partition_is_refused" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { name = "cn-northwest-1" }
  }

  expect_failures = [data.aws_region.current]
}

run "a_pinned_fis_layer_must_be_a_layer_version_arn" {
  command = plan

  variables {
    chaos_enabled           = true
    fis_extension_layer_arn = "aws-fis-extension-arm64"
  }

  expect_failures = [var.fis_extension_layer_arn]
}

run "a_short_cursor_key_is_refused" {
  command = plan

  variables {
    cursor_signing_key = "too-short"
  }

  expect_failures = [var.cursor_signing_key]
}

# Last: it applies (to the mocks), and later plans would then start from its state.
run "aws_defaults" {
  command = apply

  assert {
    condition     = alltrue([for f in values(module.functions.functions) : f.reserved_concurrency == null && f.provisioned_concurrency == 0]) && length(data.aws_servicequotas_service_quota.lambda_concurrency) == 0
    error_message = "A fresh account's quota (often 10) admits no reservation: the defaults reserve nothing, and Service Quotas is not asked."
  }
  assert {
    condition     = module.observability.alarm_key_arn != null && module.observability.alarm_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The alarm topic gets its own KMS key (one CloudWatch may use)."
  }
  assert {
    condition     = aws_ssm_parameter.cursor_signing_key.type == "SecureString" && aws_ssm_parameter.cursor_signing_key.name == "/postcards/prod/cursor-signing-key" && aws_ssm_parameter.cursor_signing_key.value_wo == null && aws_ssm_parameter.cursor_signing_key.value_wo_version == 1
    error_message = "The cursor key is a SecureString whose value is write-only: never in the state."
  }
  assert {
    condition     = output.api_log_groups.execution == "API-Gateway-Execution-Logs_${output.rest_api_id}/live"
    error_message = "The execution log group API Gateway writes to is created by Terraform."
  }

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
