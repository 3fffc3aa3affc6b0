data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The topic's own key: CloudWatch must be able to use it, and the AWS-managed alias/aws/sns key's
# policy cannot be changed to admit CloudWatch, so alarm actions on such a topic fail (seen only in
# the alarm history). https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
# and https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
data "aws_iam_policy_document" "alarm_key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource is always "*" (the key itself); kms:* goes to the account root only, as in AWS's default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's Resource is always "*" (the key itself); CloudWatch gets Decrypt and GenerateDataKey* for this account only.
  #checkov:skip=CKV_AWS_356:A key policy's Resource is always "*": it means the key the policy is attached to.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishesAlarms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description             = "Encrypts the ${var.name} alarm topic; its policy lets CloudWatch publish"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.alarm_key.json
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

# Every alarm notifies one topic; subscribe an address with var.alarm_email (or anything else later).
resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# X-Ray: trace one request a second plus a share of the rest, for the API and the functions.
resource "aws_xray_sampling_rule" "api" {
  count = var.xray_sampling_rule_enabled ? 1 : 0

  rule_name      = substr("${var.name}-api", 0, 32)
  priority       = 1000
  version        = 1
  reservoir_size = 1
  fixed_rate     = var.xray_sampling_rate
  service_name   = "*"
  service_type   = "*"
  host           = "*"
  http_method    = "*"
  url_path       = "/v1/*"
  resource_arn   = "*"
}
