# Created before the function, under the name Lambda writes to by default (/aws/lambda/<name>), so
# Terraform owns its retention. Lambda (and the local cloud) would otherwise create it on the first
# invocation, with no retention, outside the state. No logging_config is set: the default group name
# behaves the same on AWS and on the local cloud.
resource "aws_cloudwatch_log_group" "function" {
  for_each = var.functions

  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  #checkov:skip=CKV_AWS_158:Logs use CloudWatch's default encryption; a customer-managed KMS key costs per month and adds a key policy to maintain without adding protection for this data.
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days); a year of debug logs is not worth its storage cost here.
}
