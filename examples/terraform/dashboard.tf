# The operator's view of the shared tokens (README, Dashboard: what each widget answers). Six
# widgets per tokenType and, above them, the AWS/Lambda errors of the functions this module
# schedules. Every metric of the layer carries the one dimension tokenType and no other
# (layer/telemetry/powertools-metrics.ts), so one line per metric sums the data points of every
# function; the period is alarm_period_seconds, so a widget shows the sums the alarms compare.
data "aws_region" "current" {}

locals {
  dashboard_name = "${local.name}-shared-token"
  # `name`: provider 6.x prefers `region` and still answers to `name`; versions.tf allows 5.x,
  # which only has `name`.
  dashboard_region = data.aws_region.current.name
  # Every metric widget: the sum over the alarms' period, on a time series.
  dashboard_defaults = {
    region = local.dashboard_region
    period = var.alarm_period_seconds
    stat   = "Sum"
    view   = "timeSeries"
  }
  ns = var.metric_namespace

  scheduled_functions = concat(
    local.refresher_enabled ? [{ title = "Scheduled refresher", name = local.refresher_function_name }] : [],
    local.rotation_enabled ? [{ title = "Key rotation", name = local.rotation_function_name }] : [],
  )
  function_widgets = [for i, function in local.scheduled_functions : {
    type   = "metric"
    x      = 12 * i
    y      = 0
    width  = 12
    height = 6
    properties = merge(local.dashboard_defaults, {
      title = "${function.title} ${function.name}: errors"
      metrics = [
        ["AWS/Lambda", "Errors", "FunctionName", function.name, { label = "errors" }],
        ["AWS/Lambda", "Invocations", "FunctionName", function.name, { label = "invocations" }],
      ]
      yAxis = { left = { min = 0 } }
    })
  }]
  token_rows_top = length(local.function_widgets) > 0 ? 6 : 0

  # Per tokenType, two rows of three. Metric-math ids are unique per widget only.
  token_type_widgets = flatten([for i, token_type in var.token_types : [
    for j, widget in [
      {
        # No metric counts provider calls: every refresh a lease holder begins ends as exactly one
        # of these four (layer/lease/lease-holder.ts), so their sum is the calls the layer made.
        title = "${token_type}: provider calls per token generation"
        metrics = [
          [local.ns, "TokenRefreshed", "tokenType", token_type, { id = "generations", label = "token generations (TokenRefreshed)" }],
          [local.ns, "TokenRefreshFailed", "tokenType", token_type, { id = "failed", visible = false }],
          [local.ns, "LeaseLost", "tokenType", token_type, { id = "lost", label = "tokens not committed, lease lost (LeaseLost)" }],
          [local.ns, "RefreshCutShort", "tokenType", token_type, { id = "cut", visible = false }],
          [{ id = "calls", expression = "FILL(generations, 0) + FILL(failed, 0) + FILL(lost, 0) + FILL(cut, 0)", label = "provider calls (refreshes begun)" }],
          [{ id = "perGeneration", expression = "IF(FILL(generations, 0) > 0, calls / FILL(generations, 0))", label = "calls per generation (1 when shared)", yAxis = "right" }],
        ]
        yAxis = { left = { min = 0, label = "per period" }, right = { min = 0, label = "calls per generation" } }
      },
      {
        title = "${token_type}: cache hits versus store reads"
        metrics = [
          [local.ns, "TokenCacheHit", "tokenType", token_type, { id = "hits", label = "served from memory (TokenCacheHit)" }],
          [local.ns, "TokenStoreRead", "tokenType", token_type, { id = "reads", label = "read from the table (TokenStoreRead)" }],
          [{ id = "hitRate", expression = "100 * FILL(hits, 0) / (FILL(hits, 0) + FILL(reads, 0))", label = "% served from memory", yAxis = "right" }],
        ]
        yAxis = { left = { min = 0, label = "per period" }, right = { min = 0, max = 100, label = "%" } }
      },
      {
        title = "${token_type}: lock waits"
        metrics = [
          [local.ns, "LockContended", "tokenType", token_type, { label = "waits begun (LockContended)" }],
          [local.ns, "LockTakeover", "tokenType", token_type, { label = "leases taken over (LockTakeover)" }],
          [local.ns, "LockWaitMs", "tokenType", token_type, { stat = "p50", label = "wait p50 (LockWaitMs)", yAxis = "right" }],
          [local.ns, "LockWaitMs", "tokenType", token_type, { stat = "p99", label = "wait p99", yAxis = "right" }],
          [local.ns, "LockWaitMs", "tokenType", token_type, { stat = "Maximum", label = "wait max", yAxis = "right" }],
        ]
        yAxis = { left = { min = 0, label = "per period" }, right = { min = 0, label = "ms" } }
      },
      {
        title = "${token_type}: failed refreshes"
        metrics = [
          [local.ns, "TokenRefreshFailed", "tokenType", token_type, { label = "failed refreshes (TokenRefreshFailed)" }],
          [local.ns, "RefreshTokenExpired", "tokenType", token_type, { label = "refresh token refused (RefreshTokenExpired)" }],
          [local.ns, "RotatedRefreshTokenLost", "tokenType", token_type, { label = "rotated refresh token not stored (RotatedRefreshTokenLost)" }],
        ]
        yAxis       = { left = { min = 0, label = "per period" } }
        annotations = { horizontal = [{ label = "TokenRefreshFailed alarm", value = var.refresh_failure_threshold }] }
      },
      {
        title = "${token_type}: decrypt failures"
        metrics = [
          [local.ns, "DecryptFailed", "tokenType", token_type, { label = "stored tokens that did not decrypt (DecryptFailed)" }],
        ]
        yAxis = { left = { min = 0, label = "per period" } }
      },
      {
        title = "${token_type}: rejections"
        metrics = [
          [local.ns, "ProviderRejected", "tokenType", token_type, { label = "401/403 to a token (ProviderRejected)" }],
          [local.ns, "RetrySucceeded", "tokenType", token_type, { label = "retries that succeeded (RetrySucceeded)" }],
          [local.ns, "RejectionRefreshLimited", "tokenType", token_type, { label = "rejections not refreshed (RejectionRefreshLimited)" }],
        ]
        yAxis = { left = { min = 0, label = "per period" } }
      },
      ] : {
      type       = "metric"
      x          = 8 * (j % 3)
      y          = local.token_rows_top + 12 * i + 6 * floor(j / 3)
      width      = 8
      height     = 6
      properties = merge(local.dashboard_defaults, widget)
    }
  ]])

  dashboard_widgets = concat(local.function_widgets, local.token_type_widgets)
}

resource "aws_cloudwatch_dashboard" "shared_token" {
  count = var.dashboard_enabled ? 1 : 0

  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })

  lifecycle {
    # CloudWatch's quotas: 500 widgets and 2,500 metrics per dashboard (about 80 tokenTypes here).
    precondition {
      condition     = length(local.dashboard_widgets) <= 500 && sum([for widget in local.dashboard_widgets : length(widget.properties.metrics)]) <= 2500
      error_message = "The dashboard would exceed CloudWatch's 500 widgets or 2,500 metrics with ${length(var.token_types)} tokenTypes: set dashboard_enabled = false and build dashboards per group of tenants."
    }
  }
}
