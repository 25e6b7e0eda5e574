# Alarms that need a person. Per tokenType: its refresh failing (bad credentials, a dead refresh
# token, the provider down), and its OAuth2 refresh token dead (invalid_grant), which has an alarm
# of its own. When the module schedules a refresher or a key rotation: that function failing. All
# go to one SNS topic: var.alarm_topic_arn, or the one created here.
resource "aws_sns_topic" "alarms" {
  count = var.alarm_topic_arn == null ? 1 : 0

  # Not encrypted with aws/sns: CloudWatch cannot publish to a topic under that key, whose policy
  # cannot be changed. The notifications hold alarm names and counts, never a secret.
  name = "${local.name}-shared-token-alarms"
  tags = var.tags
}

locals {
  alarm_topic_arn = var.alarm_topic_arn == null ? aws_sns_topic.alarms[0].arn : var.alarm_topic_arn
}

# The layer publishes TokenRefreshFailed with the single dimension tokenType (no service
# dimension: every function shares the token, so they share its metric), hence one alarm each.
resource "aws_cloudwatch_metric_alarm" "token_refresh_failed" {
  for_each = toset(var.token_types)

  # CloudWatch alarm names take any printable character, `#` of a tenant's tokenType included.
  alarm_name        = "${local.name}-token-refresh-failed-${each.value}"
  alarm_description = "The shared ${each.value} token could not be refreshed: the provider refused the credentials (invalid_client, invalid_grant) or was unreachable. Lambdas keep a still-valid token, then fail. See the deploy guide's troubleshooting table."
  namespace         = var.metric_namespace
  metric_name       = "TokenRefreshFailed"
  dimensions = {
    tokenType = each.value
  }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.refresh_failure_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  # No data point means no failure: the metric is only published when something happened.
  treat_missing_data = "notBreaching"
  alarm_actions      = [local.alarm_topic_arn]
  ok_actions         = [local.alarm_topic_arn]
  tags               = var.tags
}

resource "aws_cloudwatch_metric_alarm" "refresher_errors" {
  count = local.refresher_enabled ? 1 : 0

  alarm_name        = "${local.name}-shared-token-refresher-errors"
  alarm_description = "The scheduled token refresher ${local.refresher_function_name} failed. Tokens are then refreshed on the request path; read its log for the tokenType and the error."
  namespace         = "AWS/Lambda"
  metric_name       = "Errors"
  dimensions = {
    FunctionName = local.refresher_function_name
  }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

# A failed key rotation changes nothing (AWSCURRENT keeps its keys) and Secrets Manager retries
# it, but a rotation that keeps failing means a key stays in use past its period: usually
# testSecret refusing to drop a key a stored token is still sealed under.
resource "aws_cloudwatch_metric_alarm" "key_rotation_errors" {
  count = local.rotation_enabled ? 1 : 0

  alarm_name        = "${local.name}-shared-token-key-rotation-errors"
  alarm_description = "The key rotation function ${local.rotation_function_name} failed a step. AWSCURRENT is unchanged and Secrets Manager retries; its log names the step and the cause (KeyRotationError: a stored token under the key the rotation would drop). See examples/key-rotation/README.md for the fix."
  namespace         = "AWS/Lambda"
  metric_name       = "Errors"
  dimensions = {
    FunctionName = local.rotation_function_name
  }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

# A dead OAuth refresh token (invalid_grant: revoked, expired, rotated away) never heals by itself:
# its own metric, so the alarm names the fix rather than "a refresh failed".
resource "aws_cloudwatch_metric_alarm" "refresh_token_expired" {
  for_each = toset(var.token_types)

  alarm_name        = "${local.name}-refresh-token-expired-${each.value}"
  alarm_description = "The provider refused the refresh token of ${each.value} (invalid_grant): it was revoked, expired or rotated away, and no retry fixes it. Put a new refresh token in the secret and delete the item of ${each.value}; the log line is \"refresh token expired\". See the deploy guide's troubleshooting table."
  namespace         = var.metric_namespace
  metric_name       = "RefreshTokenExpired"
  dimensions = {
    tokenType = each.value
  }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}
