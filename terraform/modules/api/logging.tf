resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  #checkov:skip=CKV_AWS_158:Access logs use CloudWatch's default encryption; a customer-managed KMS key adds cost and key policy upkeep.
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days); a year of access logs is not worth its storage cost here.
}

# Stages can only write logs once the account (per region) names a role for API Gateway. That setting
# is account-wide, so managing it here is opt-in.
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

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  count = var.manage_account_logging_role ? 1 : 0

  role       = aws_iam_role.cloudwatch[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn

  depends_on = [aws_iam_role_policy_attachment.cloudwatch]
}

data "aws_partition" "current" {}
