# The observability module: alarm notifications that can arrive (the topic's key admits CloudWatch).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name           = "postcards-test"
  function_names = { postcards = "postcards-test-postcards" }
  api            = { name = "postcards-test", stage_name = "live" }
}

run "the_alarm_topic_uses_a_key_cloudwatch_may_use" {
  command = apply

  module {
    source = "./modules/observability"
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.alarms.arn && aws_sns_topic.alarms.kms_master_key_id != "alias/aws/sns"
    error_message = "The topic must use its own key: the AWS-managed alias/aws/sns key's policy does not admit CloudWatch, so every alarm action would fail."
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.alarm_key.statement :
      anytrue([for p in s.principals : p.type == "Service" && contains(p.identifiers, "cloudwatch.amazonaws.com")])
      && contains(s.actions, "kms:Decrypt") && contains(s.actions, "kms:GenerateDataKey*")
    ])
    error_message = "The key policy must let CloudWatch decrypt and generate data keys (what publishing to an encrypted topic takes)."
  }
  assert {
    condition     = aws_kms_key.alarms.enable_key_rotation && aws_kms_key.alarms.policy == data.aws_iam_policy_document.alarm_key.json
    error_message = "The key rotates and carries that policy."
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.function_errors : a.alarm_actions == toset([aws_sns_topic.alarms.arn])])
    error_message = "Alarms notify the encrypted topic."
  }
}
