# The scheduled refresher renews each token before it expires, so the Lambdas on the request
# path find a fresh token instead of refreshing it themselves. The function is yours (an example
# handler of the layer); this file only schedules it.
locals {
  refresher_enabled = var.refresher_function_arn != null
  # arn:aws:lambda:<region>:<account>:function:<name>: the AWS/Lambda metrics use the name.
  refresher_function_name = local.refresher_enabled ? split(":", var.refresher_function_arn)[6] : null
}

resource "aws_cloudwatch_event_rule" "refresher" {
  count = local.refresher_enabled ? 1 : 0

  name                = "${local.name}-shared-token-refresher"
  description         = "Runs the lambda-shared-token refresher, which renews tokens inside their refresh-ahead window"
  schedule_expression = var.refresher_schedule_expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "refresher" {
  count = local.refresher_enabled ? 1 : 0

  rule = aws_cloudwatch_event_rule.refresher[0].name
  arn  = var.refresher_function_arn
}

resource "aws_lambda_permission" "refresher" {
  count = local.refresher_enabled ? 1 : 0

  statement_id  = "AllowSharedTokenRefresherSchedule"
  action        = "lambda:InvokeFunction"
  function_name = var.refresher_function_arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.refresher[0].arn
}
