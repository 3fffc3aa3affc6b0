# The API module (OpenAPI body, stage, redeployment) and the domain module (TLS, regional endpoint).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name              = "postcards-test"
  container_api_url = "https://legacy.example.net/api"
  cors_origin       = "https://www.example.com"
  handler = {
    function_name    = "postcards-test-postcards"
    alias_name       = "live"
    alias_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:postcards-test-postcards:live/invocations"
  }

  # The domain module's (each run's module takes the variables it declares; stage_name is the api
  # module's too, and its default there).
  domain_name = "api.example.com"
  zone_id     = "Z0TESTZONE0000000000"
  rest_api_id = "abcdef1234"
  stage_name  = "live"
}

run "the_body_routes_to_the_live_alias_and_the_container_api" {
  command = apply

  module {
    source = "./modules/api"
  }

  assert {
    condition = alltrue([for path, item in jsondecode(aws_api_gateway_rest_api.this.body).paths : alltrue([for method, op in item :
      op["x-amazon-apigateway-integration"].uri == var.handler.alias_invoke_arn && op["x-amazon-apigateway-integration"].type == "aws_proxy"
    ]) if startswith(path, "/v1/")])
    error_message = "Every /v1 operation must be an AWS_PROXY integration with the live alias."
  }
  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this.body).paths["/legacy/{proxy+}"]["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"].uri == "https://legacy.example.net/api/{proxy}"
    error_message = "/legacy/{proxy+} must proxy to the container API."
  }
  assert {
    condition = alltrue([for type, r in jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"] :
    r.responseParameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://www.example.com'"])
    error_message = "Gateway-made errors must carry the site's CORS origin."
  }
  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this.body).paths["/v1/health"].options.responses["204"].headers["Access-Control-Allow-Origin"] != null
    error_message = "Response references must be inlined for API Gateway's importer."
  }
  assert {
    condition     = aws_lambda_permission.api_invokes_handler.qualifier == "live" && aws_lambda_permission.api_invokes_handler.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/live/*"
    error_message = "API Gateway may invoke only the live alias, from this API's stage."
  }
}

run "stage_is_traced_logged_and_throttled" {
  command = apply

  module {
    source = "./modules/api"
  }

  assert {
    condition     = aws_api_gateway_stage.this.xray_tracing_enabled && aws_api_gateway_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    error_message = "The stage must trace with X-Ray and write access logs."
  }
  assert {
    condition     = jsondecode(aws_api_gateway_stage.this.access_log_settings[0].format).requestId == "$context.requestId"
    error_message = "Access logs must be JSON."
  }
  assert {
    condition     = !aws_api_gateway_method_settings.all.settings[0].metrics_enabled && aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 50 && aws_api_gateway_method_settings.all.settings[0].throttling_burst_limit == 100
    error_message = "Every method gets the throttling limits, and no billed per-method metrics."
  }
  assert {
    condition     = aws_api_gateway_method_settings.all.settings[0].logging_level == "ERROR" && length(aws_api_gateway_account.this) == 1
    error_message = "Execution logging (ERROR) needs the account's CloudWatch role, which a new account lacks: it is set by default."
  }
  assert {
    condition     = aws_api_gateway_account.this[0].cloudwatch_role_arn == aws_iam_role.cloudwatch[0].arn && aws_api_gateway_account.this[0].reset_on_delete == true
    error_message = "The account names the stack's role and destroy resets it (else the region keeps pointing at a deleted role)."
  }
  assert {
    condition     = aws_cloudwatch_log_group.execution.name == "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/live" && aws_cloudwatch_log_group.execution.retention_in_days == 30
    error_message = "The execution log group API Gateway writes to is Terraform's, with the stack's retention."
  }
}

run "an_account_with_a_role_of_its_own_keeps_it" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    manage_account_logging_role = false
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 0 && length(aws_iam_role.cloudwatch) == 0
    error_message = "With manage_account_logging_role = false the account setting is left alone."
  }
}

run "deployment_is_triggered_by_the_body" {
  command = plan

  module {
    source = "./modules/api"
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment == sha1(aws_api_gateway_rest_api.this.body) && output.body_sha1 == sha1(aws_api_gateway_rest_api.this.body)
    error_message = "The deployment trigger must be the body's hash."
  }
}

run "another_backend_means_another_deployment" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    container_api_url = "https://legacy-v2.example.net"
  }

  assert {
    condition     = output.body_sha1 != run.deployment_is_triggered_by_the_body.body_sha1
    error_message = "A changed document must change the deployment trigger."
  }
}

run "custom_domain_is_regional_tls_1_2_with_alias_records" {
  command = apply

  module {
    source = "./modules/domain"
  }

  override_resource {
    target = module.certificate.aws_acm_certificate.this
    values = {
      arn = "arn:aws:acm:eu-west-1:123456789012:certificate/regional-api"
      domain_validation_options = [
        { domain_name = "api.example.com", resource_record_name = "_a1.api.example.com.", resource_record_type = "CNAME", resource_record_value = "_v1.acm-validations.aws." },
      ]
    }
  }

  assert {
    condition     = aws_api_gateway_domain_name.this.security_policy == "TLS_1_2" && aws_api_gateway_domain_name.this.endpoint_configuration[0].types == tolist(["REGIONAL"])
    error_message = "The API domain must be REGIONAL and refuse TLS < 1.2."
  }
  assert {
    condition     = aws_api_gateway_domain_name.this.regional_certificate_arn == "arn:aws:acm:eu-west-1:123456789012:certificate/regional-api"
    error_message = "The API domain must use the validated regional certificate."
  }
  assert {
    condition     = aws_api_gateway_base_path_mapping.root.stage_name == "live" && aws_api_gateway_base_path_mapping.root.base_path == null && aws_route53_record.alias.type == "A"
    error_message = "The stage is mapped at / and the name resolves over IPv4 only: a REGIONAL endpoint has no IPv6 address for an AAAA alias."
  }
  assert {
    condition     = aws_route53_record.alias.allow_overwrite == false
    error_message = "An existing api record stops the apply unless the user allows the overwrite."
  }
}

run "an_existing_api_record_is_taken_over_when_allowed" {
  command = plan

  module {
    source = "./modules/domain"
  }

  variables {
    allow_overwrite = true
  }

  assert {
    condition     = aws_route53_record.alias.allow_overwrite == true
    error_message = "allow_overwrite lets the alias replace an existing record."
  }
}

run "the_domain_policy_refuses_old_tls" {
  command = plan

  module {
    source = "./modules/domain"
  }

  variables {
    security_policy = "TLS_1_0"
  }

  expect_failures = [var.security_policy]
}
