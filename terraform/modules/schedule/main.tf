# A schedule that invokes the housekeeping function's live alias. Retries and the failure queue of the
# asynchronous invocation are set on the alias (functions module).
resource "aws_cloudwatch_event_rule" "this" {
  name                = var.name
  description         = "Runs ${var.target.function_name} on a schedule"
  schedule_expression = var.schedule_expression
  state               = var.enabled ? "ENABLED" : "DISABLED"
}

resource "aws_cloudwatch_event_target" "function" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "function"
  arn       = var.target.alias_arn
}

resource "aws_lambda_permission" "events_invoke_target" {
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = var.target.function_name
  qualifier     = var.target.alias_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}
