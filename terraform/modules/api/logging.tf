resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  #checkov:skip=CKV_AWS_158:Access logs use CloudWatch's default encryption; a customer-managed KMS key adds cost and key policy upkeep.
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days); a year of access logs is not worth its storage cost here.
}

# Execution logs go to a group API Gateway names and, left alone, creates itself on first use: outside
# Terraform, kept forever and left behind by destroy. Created here first, it has a retention and goes
# with the stack. https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
resource "aws_cloudwatch_log_group" "execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  #checkov:skip=CKV_AWS_158:Execution logs use CloudWatch's default encryption; a customer-managed KMS key adds cost and key policy upkeep.
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days); a year of error logs is not worth its storage cost here.
}

# Stages can only write logs once the account (per region) names a role for API Gateway: "CloudWatch
# Logs role ARN must be set in account settings to enable logging". A new account has none, so the
# default is to set it; the setting is account-wide (one role per region for every API).
data "aws_iam_policy_document" "assume_apigateway" {
  count = var.manage_account_logging_role ? 1 : 0

  statement {
    sid     = "ApiGatewayAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.manage_account_logging_role ? 1 : 0

  name               = "${var.name}-apigateway-cloudwatch"
  description        = "Lets API Gateway write execution and access logs for this account and region"
  assume_role_policy = data.aws_iam_policy_document.assume_apigateway[0].json
}

# What the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs grants, inline: the role serves every API
# of the account in this region, so it is scoped to the region's log groups, not to this stack's.
data "aws_iam_policy_document" "push_to_logs" {
  count = var.manage_account_logging_role ? 1 : 0

  statement {
    sid = "PushToCloudWatchLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
      "logs:GetLogEvents",
      "logs:FilterLogEvents",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"]
  }
}

resource "aws_iam_role_policy" "cloudwatch" {
  count = var.manage_account_logging_role ? 1 : 0

  name   = "push-to-cloudwatch-logs"
  role   = aws_iam_role.cloudwatch[0].id
  policy = data.aws_iam_policy_document.push_to_logs[0].json
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn
  # Destroy clears the setting instead of leaving the region pointing at the role it deletes (which
  # breaks logging for every API in the region). Provider 5.x warns that the argument is deprecated:
  # 6.0 always resets on delete and drops it.
  reset_on_delete = var.reset_account_on_delete

  depends_on = [aws_iam_role_policy.cloudwatch]
}

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
