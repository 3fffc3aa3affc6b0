# Asynchronously invoked functions (S3, EventBridge) get bounded retries, a maximum event age and a
# queue that keeps the events they finally failed on, for inspection and redrive.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  async_functions     = { for name, f in var.functions : name => f if f.async != null }
  failure_queue_names = { for name in keys(local.async_functions) : name => "${var.name_prefix}-${name}-failures" }

  # A queue's ARN follows from its name. The functions' policies (iam.tf) use these rather than the
  # queue's attribute so that creating the functions does not wait for the queues: the AWS provider
  # waits ~25 s for a new queue's attributes to settle, on AWS and on the local cloud alike.
  failure_queue_arns = {
    for name, queue in local.failure_queue_names :
    name => "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${queue}"
  }
}

resource "aws_sqs_queue" "failures" {
  for_each = local.async_functions

  name                      = local.failure_queue_names[each.key]
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
