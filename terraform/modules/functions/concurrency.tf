# Provisioned concurrency keeps N execution environments initialised on the alias: no cold starts for
# the first N concurrent requests, billed by the hour whether used or not. 0 = off (no resource).
resource "aws_lambda_provisioned_concurrency_config" "live" {
  for_each = { for name, f in var.functions : name => f if f.provisioned_concurrency > 0 }

  function_name                     = aws_lambda_alias.live[each.key].function_name
  qualifier                         = aws_lambda_alias.live[each.key].name
  provisioned_concurrent_executions = each.value.provisioned_concurrency
}
