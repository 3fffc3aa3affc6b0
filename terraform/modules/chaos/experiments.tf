# FIS experiment templates for the API function: added start-up delay and injected errors, each for a
# share of invocations and a duration, stopped early by an alarm.
#
# Why a CloudFormation stack: hashicorp/aws 5.x validates aws_fis_experiment_template's target keys
# against a fixed list that lacks "Functions", the key Lambda actions require (provider issue #41208,
# fixed in 6.22.0), so the native resource cannot express these templates on the 5.100 provider this
# project pins. AWS::FIS::ExperimentTemplate has no such check. Move to aws_fis_experiment_template
# once the provider is >= 6.22.
data "aws_iam_policy_document" "assume_fis" {
  statement {
    sid     = "FisAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["fis.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fis" {
  name               = "${var.name_prefix}-fis"
  description        = "Lets AWS FIS inject faults into ${var.target_function.name}"
  assume_role_policy = data.aws_iam_policy_document.assume_fis.json
}

data "aws_iam_policy_document" "fis" {
  statement {
    sid       = "ReadTargetConfiguration"
    actions   = ["lambda:GetFunction"]
    resources = [var.target_function.arn, "${var.target_function.arn}:*"]
  }

  statement {
    sid       = "WriteFaultConfigurations"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.config_bucket.arn}/${var.config_bucket.prefix}/*"]
  }

  statement {
    sid       = "ListFaultConfigurations"
    actions   = ["s3:ListBucket"]
    resources = [var.config_bucket.arn]
  }

  statement {
    sid       = "ReadStopCondition"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = [aws_cloudwatch_metric_alarm.stop.arn]
  }
}

resource "aws_iam_role_policy" "fis" {
  name   = "inject-lambda-faults"
  role   = aws_iam_role.fis.id
  policy = data.aws_iam_policy_document.fis.json
}

# Stop when the API fails much more than the experiment itself causes.
resource "aws_cloudwatch_metric_alarm" "stop" {
  alarm_name          = "${var.name_prefix}-chaos-stop"
  alarm_description   = "Stops FIS experiments: API 5xx rate well above the injected share."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = { ApiName = var.api.name, Stage = var.api.stage_name }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = min(1, (var.invocation_percentage + 20) / 100)
  treat_missing_data  = "notBreaching"
}

locals {
  duration = "PT${var.duration_minutes}M"

  common_template = {
    RoleArn        = aws_iam_role.fis.arn
    StopConditions = [{ Source = "aws:cloudwatch:alarm", Value = aws_cloudwatch_metric_alarm.stop.arn }]
    Targets = {
      ApiFunction = {
        ResourceType  = "aws:lambda:function"
        ResourceArns  = [var.target_function.arn]
        SelectionMode = "ALL"
      }
    }
  }

  experiments = {
    AddDelay = merge(local.common_template, {
      Description = "Delay ${var.invocation_percentage}% of ${var.target_function.name} invocations by ${var.delay_ms} ms for ${var.duration_minutes} min"
      Tags        = { Name = "${var.name_prefix}-add-delay" }
      Actions = {
        AddDelay = {
          ActionId = "aws:lambda:invocation-add-delay"
          Parameters = {
            duration                 = local.duration
            invocationPercentage     = tostring(var.invocation_percentage)
            startupDelayMilliseconds = tostring(var.delay_ms)
          }
          Targets = { Functions = "ApiFunction" }
        }
      }
    })
    InjectErrors = merge(local.common_template, {
      Description = "Fail ${var.invocation_percentage}% of ${var.target_function.name} invocations for ${var.duration_minutes} min"
      Tags        = { Name = "${var.name_prefix}-invocation-error" }
      Actions = {
        InjectErrors = {
          ActionId = "aws:lambda:invocation-error"
          Parameters = {
            duration             = local.duration
            invocationPercentage = tostring(var.invocation_percentage)
            preventExecution     = "true"
          }
          Targets = { Functions = "ApiFunction" }
        }
      }
    })
  }
}

resource "aws_cloudformation_stack" "experiments" {
  name = "${var.name_prefix}-chaos-experiments"
  #checkov:skip=CKV_AWS_124:Stack events are visible in the console and in terraform apply; an SNS topic for them adds nothing here.

  template_body = jsonencode({
    AWSTemplateFormatVersion = "2010-09-09"
    Description              = "FIS experiment templates for ${var.target_function.name} (managed by Terraform)"
    Resources = {
      for name, properties in local.experiments : name => {
        Type       = "AWS::FIS::ExperimentTemplate"
        Properties = properties
      }
    }
    Outputs = {
      for name in keys(local.experiments) : "${name}TemplateId" => { Value = { Ref = name } }
    }
  })

  depends_on = [aws_iam_role_policy.fis]
}
