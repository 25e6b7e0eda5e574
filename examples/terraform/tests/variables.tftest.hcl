# `terraform test` of the module's variable validations and optional parts, with a mocked AWS
# provider: no credentials, no AWS call. scripts/terraform/check.mjs runs it (make test) after
# writing a placeholder tests/layer.zip into its copy of the module; by hand, put any file there.
mock_provider "aws" {}

variables {
  prefix         = "acme"
  env            = "prod"
  layer_zip_path = "tests/layer.zip"
  token_types    = ["salesforce", "salesforce#tenant-42"]
  secret_arns    = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/orders/oauth/salesforce-AbCdEf"]
}

run "creates_the_defaults_without_the_optional_parts" {
  command = plan

  assert {
    condition     = output.lambda_environment_variables == { DYNAMODB_TABLE_ACCESS_TOKENS = "acme-prod-access-tokens" }
    error_message = "The environment output must name the table {prefix}-{env}-access-tokens."
  }
  assert {
    condition     = length(aws_cloudwatch_event_rule.refresher) == 0 && length(aws_lambda_permission.refresher) == 0 && length(aws_cloudwatch_metric_alarm.refresher_errors) == 0
    error_message = "Without refresher_function_arn there is no schedule, permission or errors alarm."
  }
  assert {
    condition     = length(aws_sns_topic.alarms) == 1 && length(aws_cloudwatch_metric_alarm.token_refresh_failed) == 2
    error_message = "The module creates the topic and one TokenRefreshFailed alarm per tokenType."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.refresh_token_expired) == 2 && aws_cloudwatch_metric_alarm.refresh_token_expired["salesforce#tenant-42"].metric_name == "RefreshTokenExpired" && aws_cloudwatch_metric_alarm.refresh_token_expired["salesforce#tenant-42"].dimensions.tokenType == "salesforce#tenant-42"
    error_message = "The module creates one RefreshTokenExpired alarm per tokenType, on that tokenType's dimension."
  }
}

run "schedules_the_refresher_and_watches_its_errors" {
  command = plan

  variables {
    refresher_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-token-refresher"
    alarm_topic_arn        = "arn:aws:sns:us-east-1:123456789012:ops-alarms"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.refresher[0].schedule_expression == "rate(5 minutes)" && aws_lambda_permission.refresher[0].principal == "events.amazonaws.com"
    error_message = "The refresher runs every 5 minutes by default, invoked by EventBridge."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.refresher_errors[0].dimensions.FunctionName == "acme-prod-token-refresher"
    error_message = "The errors alarm watches the refresher by function name."
  }
  assert {
    condition     = length(aws_sns_topic.alarms) == 0 && output.alarm_topic_arn == "arn:aws:sns:us-east-1:123456789012:ops-alarms"
    error_message = "With alarm_topic_arn no topic is created and the alarms use the one given."
  }
}

run "refuses_a_wildcard_in_a_secret_arn" {
  command = plan
  variables {
    secret_arns = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/*"]
  }
  expect_failures = [var.secret_arns]
}

run "refuses_no_secret" {
  command = plan
  variables {
    secret_arns = []
  }
  expect_failures = [var.secret_arns]
}

run "refuses_a_kms_alias_for_the_token_key" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:alias/shared-token"
  }
  expect_failures = [var.kms_key_arn]
}

run "refuses_a_qualified_refresher_arn" {
  command = plan
  variables {
    refresher_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-token-refresher:live"
  }
  expect_failures = [var.refresher_function_arn]
}

run "refuses_a_bad_schedule_expression" {
  command = plan
  variables {
    refresher_schedule_expression = "every 5 minutes"
  }
  expect_failures = [var.refresher_schedule_expression]
}

run "refuses_an_env_with_capitals" {
  command = plan
  variables {
    env = "Prod"
  }
  expect_failures = [var.env]
}

run "refuses_a_prefix_starting_with_a_hyphen" {
  command = plan
  variables {
    prefix = "-acme"
  }
  expect_failures = [var.prefix]
}

run "refuses_a_repeated_token_type" {
  command = plan
  variables {
    token_types = ["salesforce", "salesforce"]
  }
  expect_failures = [var.token_types]
}

run "refuses_a_runtime_the_layer_is_not_built_for" {
  command = plan
  variables {
    layer_compatible_runtimes = ["nodejs18.x"]
  }
  expect_failures = [var.layer_compatible_runtimes]
}

run "refuses_an_alarm_period_that_is_not_whole_minutes" {
  command = plan
  variables {
    alarm_period_seconds = 90
  }
  expect_failures = [var.alarm_period_seconds]
}
