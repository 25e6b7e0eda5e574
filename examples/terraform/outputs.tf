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

output "dashboard_name" {
  description = "The CloudWatch dashboard {prefix}-{env}-shared-token; null with dashboard_enabled = false."
  value       = var.dashboard_enabled ? aws_cloudwatch_dashboard.shared_token[0].dashboard_name : null
}

output "dashboard_url" {
  description = "The dashboard in the CloudWatch console (the aws partition's console); null with dashboard_enabled = false."
  value       = var.dashboard_enabled ? "https://console.aws.amazon.com/cloudwatch/home?region=${local.dashboard_region}#dashboards/dashboard/${aws_cloudwatch_dashboard.shared_token[0].dashboard_name}" : null
}

output "key_rotation_policy_arn" {
  description = "The IAM policy to attach to the key-rotation function's role; null without rotation_function_arn."
  value       = local.rotation_enabled ? aws_iam_policy.key_rotation[0].arn : null
}

output "key_rotation_environment_variables" {
  description = "Environment variables of the key-rotation function: the table, and TOKEN_TYPES, the tokenTypes (comma-separated) whose stored tokens its testSecret checks under the new key. A tokenType sealed with another secret is recognised as such and passed over."
  value = {
    DYNAMODB_TABLE_ACCESS_TOKENS = module.table.name
    TOKEN_TYPES                  = join(",", var.token_types)
  }
}

output "rotated_secret_arns" {
  description = "The secrets Secrets Manager rotates with rotation_function_arn (empty without it)."
  value       = local.rotated_secret_arns
}

output "operator_policy_arn" {
  description = "The IAM policy for the people and roles that run `lambda-shared-token status` and `doctor`."
  value       = aws_iam_policy.operator.arn
}
