# Asynchronously invoked functions (S3, EventBridge) get bounded retries, a maximum event age and a
# queue that keeps the events they finally failed on, for inspection and redrive.
locals {
  async_functions = { for name, f in var.functions : name => f if f.async != null }
}

resource "aws_sqs_queue" "failures" {
  for_each = local.async_functions

  name                      = "${var.name_prefix}-${each.key}-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_lambda_function_event_invoke_config" "live" {
  for_each = local.async_functions

  function_name                = aws_lambda_alias.live[each.key].function_name
  qualifier                    = aws_lambda_alias.live[each.key].name
  maximum_retry_attempts       = each.value.async.maximum_retry_attempts
  maximum_event_age_in_seconds = each.value.async.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures[each.key].arn
    }
  }
}
