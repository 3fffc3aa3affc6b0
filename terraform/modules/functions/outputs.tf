output "functions" {
  description = "Per function: name, ARN, version, the alias (name, ARN, invoke ARN), role, log group, reserved concurrency (null: unreserved) and the alias's provisioned concurrency (0: none)."
  value = {
    for name, f in aws_lambda_function.this : name => {
      name                    = f.function_name
      arn                     = f.arn
      version                 = f.version
      alias_name              = aws_lambda_alias.live[name].name
      alias_arn               = aws_lambda_alias.live[name].arn
      alias_invoke_arn        = aws_lambda_alias.live[name].invoke_arn
      role_name               = aws_iam_role.function[name].name
      role_arn                = aws_iam_role.function[name].arn
      log_group               = aws_cloudwatch_log_group.function[name].name
      reserved_concurrency    = f.reserved_concurrent_executions >= 0 ? f.reserved_concurrent_executions : null
      provisioned_concurrency = try(aws_lambda_provisioned_concurrency_config.live[name].provisioned_concurrent_executions, 0)
    }
  }
}

output "layer_version_arn" {
  description = "ARN (with version) of the dependencies layer."
  value       = aws_lambda_layer_version.dependencies.arn
}

output "failure_queues" {
  description = "Per asynchronously invoked function: the URL and ARN of its on-failure queue."
  value       = { for name, q in aws_sqs_queue.failures : name => { url = q.url, arn = q.arn } }
}
