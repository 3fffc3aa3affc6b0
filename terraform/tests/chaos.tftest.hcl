# Chaos (opt-in): the FIS templates are a CloudFormation stack because the 5.x provider rejects the
# Lambda target key "Functions" (provider issue #41208).

mock_provider "aws" {
  source = "./tests/mocks"
}

run "experiment_templates_target_the_function" {
  command = apply

  override_resource {
    target = aws_cloudformation_stack.experiments
    values = {
      outputs = { AddDelayTemplateId = "EXT1", InjectErrorsTemplateId = "EXT2" }
    }
  }

  module {
    source = "./modules/chaos"
  }

  variables {
    name_prefix           = "postcards-test"
    config_bucket         = { name = "fis", arn = "arn:aws:s3:::fis", prefix = "FisConfigs" }
    target_function       = { name = "postcards-test-postcards", arn = "arn:aws:lambda:eu-west-1:123456789012:function:postcards-test-postcards" }
    api                   = { name = "postcards-test", stage_name = "live" }
    invocation_percentage = 25
    duration_minutes      = 5
    delay_ms              = 1500
  }

  assert {
    condition = alltrue([for name, r in jsondecode(aws_cloudformation_stack.experiments.template_body).Resources :
      r.Type == "AWS::FIS::ExperimentTemplate" && one(values(r.Properties.Actions)).Targets.Functions == "ApiFunction" && r.Properties.Targets.ApiFunction.ResourceType == "aws:lambda:function"
    ])
    error_message = "Each template must target the function through the Functions key."
  }
  assert {
    condition = toset([for r in values(jsondecode(aws_cloudformation_stack.experiments.template_body).Resources) : one(values(r.Properties.Actions)).ActionId]) == toset(["aws:lambda:invocation-add-delay", "aws:lambda:invocation-error"]) && alltrue([
      for r in values(jsondecode(aws_cloudformation_stack.experiments.template_body).Resources) : one(values(r.Properties.Actions)).Parameters.duration == "PT5M" && one(values(r.Properties.Actions)).Parameters.invocationPercentage == "25"
    ])
    error_message = "Delay and error experiments, for the given share and duration."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.stop.threshold == 0.45
    error_message = "The stop condition fires when failures exceed the injected share by a margin."
  }
}

run "the_api_function_gets_the_extension" {
  command = apply

  module {
    source = "./modules/fis_extension"
  }

  variables {
    name_prefix   = "postcards-test"
    bucket_suffix = "123456789012"
    architecture  = "arm64"
  }

  assert {
    condition     = data.aws_ssm_parameter.fis_extension[0].name == "/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x" && output.layer_arn == data.aws_ssm_parameter.fis_extension[0].insecure_value
    error_message = "Unpinned, the extension layer comes from the public SSM parameter for the architecture."
  }
  assert {
    condition     = output.function_environment["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/aws-fis/bootstrap" && endswith(output.function_environment["AWS_FIS_CONFIGURATION_LOCATION"], "/FisConfigs/")
    error_message = "The function needs the FIS wrapper and the configuration location."
  }
}

run "a_pinned_extension_layer_is_used_as_is" {
  command = plan

  module {
    source = "./modules/fis_extension"
  }

  variables {
    name_prefix   = "postcards-test"
    bucket_suffix = "123456789012"
    architecture  = "arm64"
    layer_arn     = "arn:aws:lambda:eu-west-1:211125607513:layer:aws-fis-extension-arm64:7"
  }

  assert {
    condition     = length(data.aws_ssm_parameter.fis_extension) == 0 && output.layer_arn == "arn:aws:lambda:eu-west-1:211125607513:layer:aws-fis-extension-arm64:7"
    error_message = "A pinned layer is attached as given, and the moving SSM parameter is not read."
  }
}
