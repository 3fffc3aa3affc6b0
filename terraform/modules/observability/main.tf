data "aws_region" "current" {}

# Every alarm notifies one topic; subscribe an address with var.alarm_email (or anything else later).
resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = "alias/aws/sns"
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
