locals {
  function_names = { for name in keys(var.functions) : name => "${var.name_prefix}-${name}" }

  # Lambda refuses a reservation (reserved or provisioned) that leaves the account fewer unreserved
  # executions than min(100, quota): "... decreases account's UnreservedConcurrentExecution below its
  # minimum value of [100]". https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
  committed_concurrency = { for name, f in var.functions : name => f.reserved_concurrency != null ? f.reserved_concurrency : f.provisioned_concurrency }
  total_committed       = sum(concat([0], values(local.committed_concurrency)))
  unreserved_minimum    = var.account_concurrency_quota == null ? 0 : min(100, var.account_concurrency_quota)
  reservable            = var.account_concurrency_quota == null ? null : var.account_concurrency_quota - local.unreserved_minimum
}

resource "aws_lambda_function" "this" {
  for_each = var.functions
  #checkov:skip=CKV_AWS_116:Synchronous (API) and scheduled invocations have no DLQ to fill; the asynchronous S3 trigger uses an on-failure destination (async.tf), which carries more context than a DLQ.
  #checkov:skip=CKV_AWS_117:The functions reach only AWS APIs (DynamoDB, S3); a VPC would add NAT or endpoint costs and cold-start latency for no isolation gain.
  #checkov:skip=CKV_AWS_173:Environment variables are encrypted at rest with the AWS-managed Lambda key; a customer-managed key adds cost and key policy upkeep.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile and signed uploads, which build.sh's reproducible zips do not produce; the source hash pins the code instead.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is set per function from var.reserved_concurrency; functions left out deliberately share the unreserved pool.

  function_name = local.function_names[each.key]
  description   = each.value.description
  role          = aws_iam_role.function[each.key].arn
  handler       = each.value.handler
  runtime       = var.runtime
  architectures = [var.architecture]
  memory_size   = each.value.memory_mb
  timeout       = each.value.timeout_s

  filename         = "${var.build.dir}/${var.build.artifacts[each.key].path}"
  source_code_hash = var.build.artifacts[each.key].base64sha256
  layers           = concat([aws_lambda_layer_version.dependencies.arn], each.value.extra_layer_arns)

  # Every change to code or configuration publishes a new version; the alias follows it.
  publish                        = true
  reserved_concurrent_executions = coalesce(each.value.reserved_concurrency, -1)

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = merge(var.common_environment, each.value.environment)
  }

  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function,
  ]

  lifecycle {
    precondition {
      condition     = local.reservable == null || local.committed_concurrency[each.key] == 0 || local.total_committed <= coalesce(local.reservable, 0)
      error_message = "${local.function_names[each.key]} would reserve ${local.committed_concurrency[each.key]} concurrent executions (the functions ${local.total_committed} together), but the account's quota of ${coalesce(var.account_concurrency_quota, 0)} must keep ${local.unreserved_minimum} unreserved, so at most ${coalesce(local.reservable, 0)} can be reserved. Remove the reservation (reserved_concurrency, provisioned_concurrency) or ask Service Quotas for more (Lambda, Concurrent executions, L-B99A9384) and set lambda_concurrency_quota."
    }
  }
}

# Triggers invoke the alias, never $LATEST: a deploy moves the alias in one step, and provisioned
# concurrency and asynchronous settings hang off it.
resource "aws_lambda_alias" "live" {
  for_each = var.functions

  name             = var.alias_name
  description      = "The version every trigger invokes"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version
}
