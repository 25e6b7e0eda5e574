# The dashboard (dashboard.tf), with a mocked AWS provider: present or absent with
# dashboard_enabled, six widgets per tokenType whose every metric is on that tokenType, and the
# errors of the functions the module schedules. The body is read back with jsondecode.
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }
}

variables {
  prefix         = "acme"
  env            = "prod"
  layer_zip_path = "tests/layer.zip"
  token_types    = ["salesforce", "salesforce#tenant-42"]
  secret_arns    = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:/prod/orders/oauth/salesforce-AbCdEf"]
}

run "creates_the_dashboard_by_default_with_six_widgets_per_token_type" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_dashboard.shared_token) == 1 && aws_cloudwatch_dashboard.shared_token[0].dashboard_name == "acme-prod-shared-token"
    error_message = "dashboard_enabled defaults to true and names the dashboard {prefix}-{env}-shared-token."
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets) == 12
    error_message = "Two tokenTypes and no scheduled function: twelve widgets."
  }
  assert {
    # "salesforce: " does not prefix the titles of "salesforce#tenant-42".
    condition = alltrue([for token_type in var.token_types : toset([
      for widget in jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets :
      trimprefix(widget.properties.title, "${token_type}: ") if startswith(widget.properties.title, "${token_type}: ")
      ]) == toset([
      "provider calls per token generation", "cache hits versus store reads", "lock waits",
      "failed refreshes", "decrypt failures", "rejections",
    ])])
    error_message = "Each tokenType gets the six widgets, titled with its name."
  }
  assert {
    # A metric line is [namespace, name, "tokenType", value, options]; a metric-math line is [options].
    condition = alltrue(flatten([for token_type in var.token_types : [
      for widget in jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets : [
        for line in widget.properties.metrics :
        length(line) == 1 || try(length(line) == 5 && line[0] == "SharedToken" && line[2] == "tokenType" && line[3] == token_type, false)
      ] if startswith(widget.properties.title, "${token_type}: ")
    ]]))
    error_message = "Every metric of a tokenType's widgets is in the metric namespace, with the one dimension tokenType = that tokenType."
  }
  assert {
    condition     = alltrue([for widget in jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets : widget.properties.region == "eu-west-1" && widget.properties.period == 300])
    error_message = "Every widget shows the provider's region, over the alarms' period."
  }
  assert {
    condition     = output.dashboard_name == "acme-prod-shared-token" && output.dashboard_url == "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/acme-prod-shared-token"
    error_message = "The outputs name the dashboard and its console URL."
  }
}

run "follows_the_metric_namespace" {
  command = plan

  variables {
    metric_namespace = "Orders"
    token_types      = ["webex"]
  }

  assert {
    condition = alltrue(flatten([for widget in jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets : [
      for line in widget.properties.metrics : length(line) == 1 || line[0] == "Orders"
    ]]))
    error_message = "The widgets read the namespace the functions publish to (metric_namespace)."
  }
}

run "adds_the_errors_of_the_scheduled_functions_above_the_token_types" {
  command = plan

  variables {
    refresher_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:acme-prod-token-refresher"
    rotation_function_arn  = "arn:aws:lambda:eu-west-1:123456789012:function:acme-prod-key-rotation"
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets) == 14
    error_message = "Two functions add two widgets to the twelve of the tokenTypes."
  }
  assert {
    condition = [for widget in slice(jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets, 0, 2) : [
      widget.y, widget.properties.metrics[0][0], widget.properties.metrics[0][1], widget.properties.metrics[0][2], widget.properties.metrics[0][3]
      ]] == [
      [0, "AWS/Lambda", "Errors", "FunctionName", "acme-prod-token-refresher"],
      [0, "AWS/Lambda", "Errors", "FunctionName", "acme-prod-key-rotation"],
    ]
    error_message = "The first row shows the AWS/Lambda Errors of the refresher, then of the rotation function, by function name."
  }
  assert {
    condition     = min([for widget in slice(jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets, 2, 14) : widget.y]...) == 6
    error_message = "The tokenTypes' widgets start below the functions' row."
  }
}

run "shows_only_the_rotation_function_when_only_it_is_scheduled" {
  command = plan

  variables {
    rotation_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:acme-prod-key-rotation"
  }

  assert {
    condition     = [for widget in jsondecode(aws_cloudwatch_dashboard.shared_token[0].dashboard_body).widgets : widget.properties.title if widget.y == 0] == ["Key rotation acme-prod-key-rotation: errors"]
    error_message = "With rotation alone, the first row holds the rotation function's errors only."
  }
}

run "creates_no_dashboard_when_disabled" {
  command = plan

  variables {
    dashboard_enabled = false
  }

  assert {
    condition     = length(aws_cloudwatch_dashboard.shared_token) == 0 && output.dashboard_name == null && output.dashboard_url == null
    error_message = "dashboard_enabled = false: no dashboard, and null outputs."
  }
}

run "refuses_more_token_types_than_one_dashboard_holds" {
  command = plan

  variables {
    token_types = [for i in range(90) : "salesforce#tenant-${i}"]
  }

  expect_failures = [aws_cloudwatch_dashboard.shared_token]
}
