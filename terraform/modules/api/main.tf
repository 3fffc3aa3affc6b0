# A REST API (v1: X-Ray tracing, request validation, usage throttling) built from one OpenAPI document.
locals {
  openapi_path = coalesce(var.openapi_path, "${path.module}/openapi.yaml")

  document = yamldecode(templatefile(local.openapi_path, {
    postcards_invoke_uri = var.handler.alias_invoke_arn
    container_api_url    = var.container_api_url
  }))

  # API Gateway's importer does not follow $ref to components/responses (it keeps the status code
  # and drops headers and content), so responses are inlined here; the document stays DRY.
  component_responses = try(local.document.components.responses, {})
  paths = {
    for path, item in local.document.paths : path => {
      for method, operation in item : method => merge(operation, {
        responses = {
          for status, response in operation.responses : status =>
          try(local.component_responses[trimprefix(response["$ref"], "#/components/responses/")], response)
        }
      })
    }
  }

  # Error responses API Gateway itself sends (validation, throttling, unknown route) need CORS too,
  # or the browser hides them from the site; the origin is a deployment value, so it is added here.
  gateway_responses = {
    for type, response in local.document["x-amazon-apigateway-gateway-responses"] : type => merge(response, {
      responseParameters = merge(try(response.responseParameters, {}), {
        "gatewayresponse.header.Access-Control-Allow-Origin" = "'${var.cors_origin}'"
        "gatewayresponse.header.Vary"                        = "'Origin'"
      })
    })
  }

  body = jsonencode(merge(local.document, {
    paths                                   = local.paths
    "x-amazon-apigateway-gateway-responses" = local.gateway_responses
  }))
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = local.document.info.description
  body        = local.body

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

# A deployment is an immutable snapshot of the API: a new one whenever the document changes, created
# before the old one goes so the stage never points at nothing.
resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "OpenAPI body ${sha1(local.body)}"

  triggers = {
    redeployment = sha1(local.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true
  #checkov:skip=CKV_AWS_120:Responses are per-user and cheap to compute; a cache cluster costs from about $14 a month.
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to an HTTP backend; the Lambda backend is reached over IAM, and the container API keeps its own authentication.
  #checkov:skip=CKV2_AWS_29:WAF costs about $6 a month at rest; stage throttling limits abuse for this service.
  #checkov:skip=CKV2_AWS_4:Execution logging is ERROR on every method; the check also wants per-method metrics, which are off on purpose (billed custom metrics nobody reads; the stage's own metrics are free).

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      path               = "$context.path"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationStatus  = "$context.integrationStatus"
      errorMessage       = "$context.error.message"
      errorType          = "$context.error.responseType"
      xrayTraceId        = "$context.xrayTraceId"
    })
  }

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"
  #checkov:skip=CKV_AWS_225:No cache cluster on this stage (see the stage); caching is off on purpose.
  # Execution logging needs the account's role and writes to the group created in logging.tf.
  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]

  settings {
    # Off: per-method CloudWatch metrics are billed (about 7 metrics per method) and nobody reads
    # them; the stage-level metrics the alarms and dashboard use are free and always on.
    metrics_enabled        = false
    logging_level          = var.execution_logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }
}

# API Gateway may invoke the live alias, from this API's stage only.
resource "aws_lambda_permission" "api_invokes_handler" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = var.handler.function_name
  qualifier     = var.handler.alias_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/*"
}
