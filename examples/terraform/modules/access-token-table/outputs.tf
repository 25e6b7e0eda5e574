output "name" {
  description = "The table name: the value of DYNAMODB_TABLE_ACCESS_TOKENS."
  value       = aws_dynamodb_table.access_tokens.name
}

output "arn" {
  description = "The table ARN, the only resource of the item permissions."
  value       = aws_dynamodb_table.access_tokens.arn
}
