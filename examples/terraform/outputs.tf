output "table_name" {
  description = "The token table, {prefix}-{env}-access-tokens."
  value       = module.table.name
}

output "table_arn" {
  description = "The token table's ARN."
  value       = module.table.arn
}

output "layer_version_arn" {
  description = "The layer version to add to each dependent Lambda's layers."
  value       = aws_lambda_layer_version.shared_token.arn
}

output "policy_arn" {
  description = "The IAM policy to attach to each dependent Lambda's role and to the refresher's."
  value       = aws_iam_policy.shared_token_access.arn
}

output "policy_json" {
  description = "The same policy as a JSON document, for an inline role policy instead of the managed one."
  value       = data.aws_iam_policy_document.shared_token_access.json
}

output "lambda_environment_variables" {
  description = "Environment variables every dependent Lambda (and the refresher) needs: merge into its environment { variables }."
  value = {
    DYNAMODB_TABLE_ACCESS_TOKENS = module.table.name
  }
}

output "alarm_topic_arn" {
  description = "The SNS topic the alarms notify (created, or alarm_topic_arn)."
  value       = local.alarm_topic_arn
}

output "refresher_rule_arn" {
  description = "The EventBridge rule that runs the refresher; null without refresher_function_arn."
  value       = local.refresher_enabled ? aws_cloudwatch_event_rule.refresher[0].arn : null
}
