output "alarm_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of every alarm."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.function_errors : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.function_throttles : a.alarm_name],
    [aws_cloudwatch_metric_alarm.api_5xx.alarm_name, aws_cloudwatch_metric_alarm.api_latency_p99.alarm_name],
  )
}

output "xray_sampling_rule_name" {
  description = "Name of the X-Ray sampling rule, or null when it is off."
  value       = one(aws_xray_sampling_rule.api[*].rule_name)
}

output "alarm_key_arn" {
  description = "ARN of the KMS key the alarm topic is encrypted with (its policy admits CloudWatch)."
  value       = aws_kms_key.alarms.arn
}
