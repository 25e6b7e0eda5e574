# ---- Naming --------------------------------------------------------------------------------

variable "prefix" {
  description = "First part of every name: the table is `{prefix}-{env}-access-tokens`. Lowercase letters, digits and hyphens, starting with a letter or digit."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,63}$", var.prefix))
    error_message = "prefix must be 1 to 64 characters of a-z, 0-9 and -, starting with a letter or digit."
  }
}

variable "env" {
  description = "Environment (dev, staging, prod, ...): the second part of every name and the first segment of the secret names `/{env}/{service}/{secret-type}/{name}`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.env))
    error_message = "env must start with a-z and have at most 16 characters of a-z, 0-9 and -."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
  nullable    = false
}

# ---- Table ---------------------------------------------------------------------------------

variable "table_kms_key_arn" {
  description = "Customer managed KMS key for the table's server-side encryption. null: the AWS managed key aws/dynamodb. Its key policy must let DynamoDB use it (kms:ViaService = dynamodb.<region>.amazonaws.com); the dependent Lambdas' policy needs nothing for it."
  type        = string
  default     = null

  validation {
    condition     = var.table_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.table_kms_key_arn))
    error_message = "table_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "table_deletion_protection" {
  description = "Refuse to delete the table. With rotating OAuth refresh tokens the table holds the only current refresh token: losing it means authorising the integration again."
  type        = bool
  default     = true
  nullable    = false
}

# ---- Layer ---------------------------------------------------------------------------------

variable "layer_zip_path" {
  description = "Path of the layer zip built by `make layer` (nodejs/node_modules/lambda-shared-token/...)."
  type        = string

  validation {
    condition     = endswith(var.layer_zip_path, ".zip")
    error_message = "layer_zip_path must name the .zip built by `make layer`."
  }
}

# nodejs24.x is not in the default: hashicorp/aws accepts it from 6.19.0 on, and versions.tf
# allows 5.x, whose plan refuses it. With the provider at 6.19.0 or later, add it here.
variable "layer_compatible_runtimes" {
  description = "Runtimes the layer is published for. The layer is ESM for Node 20 and later and relies on the runtime's AWS SDK v3. nodejs24.x needs hashicorp/aws >= 6.19.0."
  type        = list(string)
  default     = ["nodejs20.x", "nodejs22.x"]
  nullable    = false

  validation {
    condition     = length(var.layer_compatible_runtimes) > 0 && alltrue([for runtime in var.layer_compatible_runtimes : contains(["nodejs20.x", "nodejs22.x", "nodejs24.x"], runtime)])
    error_message = "layer_compatible_runtimes must be a non-empty subset of [\"nodejs20.x\", \"nodejs22.x\", \"nodejs24.x\"]."
  }
}

# ---- Access of the dependent Lambdas ---------------------------------------------------------

variable "token_types" {
  description = "The tokenTypes the Lambdas share (e.g. [\"salesforce\"], or \"salesforce#tenant-42\" per tenant). They scope the policy to these items (dynamodb:LeadingKeys) and each gets a TokenRefreshFailed alarm."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.token_types) > 0 && length(var.token_types) == length(distinct(var.token_types))
    error_message = "token_types must list at least one tokenType, each once."
  }

  validation {
    # The layer's own rule (TokenManager option tokenType): 1 to 256 characters, no control characters.
    condition     = alltrue([for token_type in var.token_types : can(regex("^[^\\x00-\\x1f\\x7f]{1,256}$", token_type))])
    error_message = "Each tokenType must have 1 to 256 characters and no control characters."
  }
}

variable "secret_arns" {
  description = "ARNs of the provider secrets (`/{env}/{service}/{secret-type}/{name}`) the Lambdas read: the full ARN with its 6-character suffix, or the name followed by `-??????`. No `*`."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.secret_arns) > 0
    error_message = "secret_arns must name at least one secret."
  }

  validation {
    condition     = alltrue([for arn in var.secret_arns : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^*]+$", arn))])
    error_message = "Each of secret_arns must be a Secrets Manager secret ARN without `*` (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>)."
  }
}

variable "kms_key_arn" {
  description = "Only with KmsCipher (envelope encryption of the tokens, see the README's KMS envelope encryption section): the key it calls. Adds kms:GenerateDataKey and kms:Decrypt on this key, allowed only for the encryption context tokenType = one of token_types. null: no KMS permission."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>): IAM does not match a key by its alias."
  }
}

# ---- Scheduled refresher ---------------------------------------------------------------------

variable "refresher_function_arn" {
  description = "Unqualified ARN of the scheduled refresher Lambda (the layer's scheduled-refresh handler). null: no schedule, no permission and no errors alarm. Attach `policy_arn` to its role as well."
  type        = string
  default     = null

  validation {
    condition     = var.refresher_function_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9_-]{1,64}$", var.refresher_function_arn))
    error_message = "refresher_function_arn must be an unqualified Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)."
  }
}

variable "refresher_schedule_expression" {
  description = "When EventBridge runs the refresher. Keep the interval shorter than the refresh-ahead window, so every token is renewed before anybody waits for it."
  type        = string
  default     = "rate(5 minutes)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\([^)]+\\))$", var.refresher_schedule_expression))
    error_message = "refresher_schedule_expression must be rate(<n> <unit>) or cron(<six fields>)."
  }
}

# ---- Key rotation ----------------------------------------------------------------------------

variable "rotation_function_arn" {
  description = "Unqualified ARN of your deployment of the key-rotation function (examples/key-rotation/handler.ts), which Secrets Manager runs to rotate the `key`/`keys` field of the provider secrets. null: no rotation schedule, no permission, no policy. Attach `key_rotation_policy_arn` to its role."
  type        = string
  default     = null

  validation {
    condition     = var.rotation_function_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9_-]{1,64}$", var.rotation_function_arn))
    error_message = "rotation_function_arn must be an unqualified Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)."
  }
}

variable "rotation_secret_arns" {
  description = "Which of secret_arns the rotation function rotates, each by its full ARN (with the 6-character suffix Secrets Manager adds, not `-??????`). null (the default): all of secret_arns. Only read with rotation_function_arn."
  type        = list(string)
  default     = null

  # `||` does not short-circuit in Terraform: try() keeps a null list from reaching length().
  validation {
    condition     = var.rotation_secret_arns == null || try(length(var.rotation_secret_arns) > 0 && length(var.rotation_secret_arns) == length(distinct(var.rotation_secret_arns)), false)
    error_message = "rotation_secret_arns must be null (all of secret_arns) or name at least one secret, each once."
  }

  validation {
    condition     = var.rotation_secret_arns == null || try(alltrue([for arn in var.rotation_secret_arns : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[a-zA-Z0-9]{6}$", arn))]), false)
    error_message = "Each of rotation_secret_arns must be a full Secrets Manager secret ARN, ending in the 6-character suffix (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf): Secrets Manager rotates one secret, not a pattern."
  }
}

variable "rotation_schedule_expression" {
  description = "When Secrets Manager rotates the key (UTC): rate(<n> hours) with n >= 4, rate(<n> days) with n from 1 to 999, or cron(<six fields>). Default rate(30 days). The period must be longer than the secrets' cache expiry (secretCacheExpiry, 5 minutes by default) plus the token's lifetime: a rotation drops the key before the previous one, and every token written under that key must have been replaced by then (README, Key rotation)."
  type        = string
  default     = "rate(30 days)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (hour|hours|day|days)\\)|cron\\([^ ()]+( [^ ()]+){5}\\))$", var.rotation_schedule_expression))
    error_message = "rotation_schedule_expression must be rate(<n> hours), rate(<n> days) or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)."
  }

  validation {
    # Secrets Manager's own floor; a shorter period is refused by RotateSecret at apply time.
    condition     = !can(regex("^rate\\([0-9]+ hours?\\)$", var.rotation_schedule_expression)) || try(tonumber(regex("^rate\\(([0-9]+) hours?\\)$", var.rotation_schedule_expression)[0]) >= 4, false)
    error_message = "rotation_schedule_expression: Secrets Manager rotates at most every 4 hours (rate(4 hours)), and the period must also outlast the secret cache expiry plus the token's lifetime."
  }

  validation {
    condition     = !can(regex("^rate\\([0-9]+ days?\\)$", var.rotation_schedule_expression)) || try(tonumber(regex("^rate\\(([0-9]+) days?\\)$", var.rotation_schedule_expression)[0]) <= 999, false)
    error_message = "rotation_schedule_expression: Secrets Manager rotates at least every 999 days (rate(999 days))."
  }
}

# ---- Dashboard -------------------------------------------------------------------------------

variable "dashboard_enabled" {
  description = "Create the CloudWatch dashboard `{prefix}-{env}-shared-token` (README, Dashboard): one set of widgets per tokenType, plus the errors of the refresher and of the key-rotation function when the module schedules them. On by default: it is where an operator looks when an alarm fires. A dashboard costs a few dollars a month beyond CloudWatch's free ones; false where dashboards are managed elsewhere."
  type        = bool
  default     = true
  nullable    = false
}

# ---- Alarms ----------------------------------------------------------------------------------

variable "alarm_topic_arn" {
  description = "Existing SNS topic for the alarms. null: the module creates `{prefix}-{env}-shared-token-alarms`; subscribe to it yourself."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the layer's metrics (its `namespace` option, or the functions' POWERTOOLS_METRICS_NAMESPACE); must equal it."
  type        = string
  default     = "SharedToken"
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9._/#:-]{1,255}$", var.metric_namespace)) && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be a custom CloudWatch namespace (1 to 255 characters, not AWS/...)."
  }
}

variable "alarm_period_seconds" {
  description = "Seconds over which failures are summed before an alarm compares them with its threshold (default 300). Also the period of the dashboard's widgets, so they show the sums the alarms compare."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds <= 86400 && var.alarm_period_seconds % 60 == 0
    error_message = "alarm_period_seconds must be a multiple of 60 from 60 to 86400."
  }
}

variable "refresh_failure_threshold" {
  description = "TokenRefreshFailed data points in one period that raise a tokenType's alarm. A single failure is already worth a look: the lease holder could not get a token from the provider."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.refresh_failure_threshold >= 1 && floor(var.refresh_failure_threshold) == var.refresh_failure_threshold
    error_message = "refresh_failure_threshold must be a whole number >= 1."
  }
}
