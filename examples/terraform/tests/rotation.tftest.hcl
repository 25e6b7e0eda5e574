# The key-rotation schedule (rotation.tf), with a mocked AWS provider: nothing without
# rotation_function_arn; with it, one rotation, permission and source ARN per rotated secret and
# one policy; and the validations of the secrets and of the schedule.
mock_provider "aws" {}

variables {
  prefix         = "acme"
  env            = "prod"
  layer_zip_path = "tests/layer.zip"
  token_types    = ["salesforce", "webex"]
  secret_arns = [
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/orders/oauth/salesforce-AbCdEf",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/orders/oauth/webex-GhIjKl",
  ]
}

run "creates_no_rotation_without_a_rotation_function" {
  command = plan

  assert {
    condition     = length(aws_secretsmanager_secret_rotation.key) == 0 && length(aws_lambda_permission.key_rotation) == 0 && length(aws_iam_policy.key_rotation) == 0 && length(aws_cloudwatch_metric_alarm.key_rotation_errors) == 0
    error_message = "Without rotation_function_arn: no rotation, no permission, no policy."
  }
  assert {
    condition     = output.key_rotation_policy_arn == null && length(output.rotated_secret_arns) == 0
    error_message = "Without rotation_function_arn the rotation outputs are empty."
  }
}

run "rotates_every_secret_by_default_every_30_days" {
  command = plan

  variables {
    rotation_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-key-rotation"
  }

  assert {
    condition     = tolist([for rotation in aws_secretsmanager_secret_rotation.key : rotation.secret_id]) == var.secret_arns
    error_message = "rotation_secret_arns = null rotates all of secret_arns."
  }
  assert {
    condition = alltrue([for rotation in aws_secretsmanager_secret_rotation.key :
      rotation.rotation_lambda_arn == var.rotation_function_arn && rotation.rotation_rules[0].schedule_expression == "rate(30 days)" && rotation.rotate_immediately == false
    ])
    error_message = "Each secret is rotated by the function on rate(30 days), the first time at the schedule, not at apply."
  }
  assert {
    condition = [for permission in aws_lambda_permission.key_rotation : [permission.principal, permission.action, permission.function_name, permission.source_arn, permission.statement_id]] == [
      ["secretsmanager.amazonaws.com", "lambda:InvokeFunction", var.rotation_function_arn, var.secret_arns[0], "acme-prod-key-rotation-0"],
      ["secretsmanager.amazonaws.com", "lambda:InvokeFunction", var.rotation_function_arn, var.secret_arns[1], "acme-prod-key-rotation-1"],
    ]
    error_message = "Secrets Manager may invoke the function for each rotated secret, and only with that secret as its source ARN."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.key_rotation_errors[0].dimensions.FunctionName == "acme-prod-key-rotation" && aws_cloudwatch_metric_alarm.key_rotation_errors[0].metric_name == "Errors"
    error_message = "A failing rotation function raises its own alarm, on its AWS/Lambda Errors."
  }
  assert {
    condition     = aws_iam_policy.key_rotation[0].name == "acme-prod-shared-token-key-rotation" && output.rotated_secret_arns == var.secret_arns
    error_message = "The rotation function's policy is {prefix}-{env}-shared-token-key-rotation."
  }
  assert {
    condition     = output.key_rotation_environment_variables == { DYNAMODB_TABLE_ACCESS_TOKENS = "acme-prod-access-tokens", TOKEN_TYPES = "salesforce,webex" }
    error_message = "The rotation function's environment names the table and every tokenType, comma-separated."
  }
}

run "rotates_only_the_secrets_named_on_the_schedule_given" {
  command = plan

  variables {
    rotation_function_arn        = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-key-rotation"
    rotation_secret_arns         = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/orders/oauth/webex-GhIjKl"]
    rotation_schedule_expression = "rate(4 hours)"
  }

  assert {
    condition     = length(aws_secretsmanager_secret_rotation.key) == 1 && aws_secretsmanager_secret_rotation.key[0].secret_id == var.rotation_secret_arns[0] && aws_secretsmanager_secret_rotation.key[0].rotation_rules[0].schedule_expression == "rate(4 hours)"
    error_message = "Only the secret of rotation_secret_arns is rotated, every 4 hours."
  }
  assert {
    condition     = length(aws_lambda_permission.key_rotation) == 1 && aws_lambda_permission.key_rotation[0].source_arn == var.rotation_secret_arns[0]
    error_message = "The permission names only the rotated secret."
  }
  assert {
    condition     = [for statement in data.aws_iam_policy_document.key_rotation[0].statement : statement.resources if statement.sid == "RotatedSecrets"] == [toset(var.rotation_secret_arns)]
    error_message = "The policy's secret actions cover the rotated secret only, not every one of secret_arns."
  }
}

run "accepts_a_cron_schedule" {
  command = plan

  variables {
    rotation_function_arn        = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-key-rotation"
    rotation_schedule_expression = "cron(0 3 1 * ? *)"
  }

  assert {
    condition     = aws_secretsmanager_secret_rotation.key[0].rotation_rules[0].schedule_expression == "cron(0 3 1 * ? *)"
    error_message = "A six-field cron() expression is passed to Secrets Manager as it is."
  }
}

run "refuses_a_rotated_secret_that_is_not_in_secret_arns" {
  command = plan

  variables {
    rotation_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-key-rotation"
    rotation_secret_arns  = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/billing/oauth/stripe-MnOpQr"]
  }

  expect_failures = [aws_secretsmanager_secret_rotation.key]
}

run "refuses_to_rotate_a_secret_known_only_by_a_pattern" {
  command = plan

  variables {
    rotation_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-key-rotation"
    secret_arns           = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/orders/oauth/salesforce-??????"]
  }

  expect_failures = [aws_secretsmanager_secret_rotation.key]
}

run "refuses_a_token_type_with_a_comma_when_rotating" {
  command = plan

  variables {
    rotation_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-key-rotation"
    token_types           = ["salesforce", "webex,eu"]
  }

  expect_failures = [aws_iam_policy.key_rotation]
}

run "refuses_a_pattern_in_rotation_secret_arns" {
  command = plan
  variables {
    rotation_secret_arns = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/orders/oauth/salesforce-??????"]
  }
  expect_failures = [var.rotation_secret_arns]
}

run "refuses_an_empty_rotation_secret_arns" {
  command = plan
  variables {
    rotation_secret_arns = []
  }
  expect_failures = [var.rotation_secret_arns]
}

run "refuses_a_qualified_rotation_function_arn" {
  command = plan
  variables {
    rotation_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-key-rotation:live"
  }
  expect_failures = [var.rotation_function_arn]
}

run "refuses_a_rotation_more_often_than_every_4_hours" {
  command = plan
  variables {
    rotation_schedule_expression = "rate(3 hours)"
  }
  expect_failures = [var.rotation_schedule_expression]
}

run "refuses_a_rotation_period_in_minutes" {
  command = plan
  variables {
    rotation_schedule_expression = "rate(300 minutes)"
  }
  expect_failures = [var.rotation_schedule_expression]
}

run "refuses_a_rotation_period_beyond_999_days" {
  command = plan
  variables {
    rotation_schedule_expression = "rate(1000 days)"
  }
  expect_failures = [var.rotation_schedule_expression]
}

run "refuses_a_cron_schedule_without_six_fields" {
  command = plan
  variables {
    rotation_schedule_expression = "cron(0 3 1 * ?)"
  }
  expect_failures = [var.rotation_schedule_expression]
}
