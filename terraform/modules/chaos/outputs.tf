output "experiment_template_ids" {
  description = "IDs of the experiment templates, AddDelay and InjectErrors (aws fis start-experiment --experiment-template-id ...)."
  value       = { for name in ["AddDelay", "InjectErrors"] : name => aws_cloudformation_stack.experiments.outputs["${name}TemplateId"] }
}

output "stop_alarm_name" {
  description = "Name of the alarm that stops a running experiment."
  value       = aws_cloudwatch_metric_alarm.stop.alarm_name
}
