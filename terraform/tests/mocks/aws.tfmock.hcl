# Shared mock data for the plan tests: realistic identifiers where modules validate their format.
mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/test"
    user_id    = "AIDATEST"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_data "aws_route53_zone" {
  defaults = {
    zone_id = "Z0LOOKEDUP0000000000"
  }
}

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

mock_data "aws_ssm_parameter" {
  defaults = {
    insecure_value = "arn:aws:lambda:eu-west-1:211125607513:layer:aws-fis-extension-arm64:9"
  }
}

mock_resource "aws_cloudfront_distribution" {
  defaults = {
    arn            = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
    domain_name    = "d111111abcdef8.cloudfront.net"
    hosted_zone_id = "Z2FDTNDATAQYW2"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn                         = "arn:aws:s3:::mocked-bucket"
    bucket_regional_domain_name = "mocked-bucket.s3.eu-west-1.amazonaws.com"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn     = "arn:aws:lambda:eu-west-1:123456789012:function:mocked"
    version = "7"
  }
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mocked:live"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mocked:live/invocations"
  }
}

mock_resource "aws_api_gateway_rest_api" {
  defaults = {
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mocked"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:mocked-failures"
  }
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mocked"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mocked"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-1:123456789012:mocked-alarms"
  }
}

mock_resource "aws_cloudfront_function" {
  defaults = {
    arn = "arn:aws:cloudfront::123456789012:function/mocked"
  }
}

mock_resource "aws_lambda_layer_version" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:123456789012:layer:mocked-dependencies:3"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:eu-west-1:123456789012:rule/mocked"
  }
}

mock_resource "aws_api_gateway_stage" {
  defaults = {
    arn        = "arn:aws:apigateway:eu-west-1::/restapis/abcdef1234/stages/live"
    invoke_url = "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/live"
  }
}

mock_resource "aws_s3_bucket_policy" {
  defaults = {}
}

mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/mocked"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
  }
}

mock_resource "aws_ssm_parameter" {
  defaults = {
    arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/postcards/prod/cursor-signing-key"
  }
}

# An established account's quota; runs that test a new account override it.
mock_data "aws_servicequotas_service_quota" {
  defaults = {
    value = 1000
  }
}
