variable "prefix" {
  description = "First part of the table name `{prefix}-{env}-access-tokens`: lowercase letters, digits and hyphens, starting with a letter or digit."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,63}$", var.prefix))
    error_message = "prefix must be 1 to 64 characters of a-z, 0-9 and -, starting with a letter or digit."
  }
}

variable "env" {
  description = "Environment name, the second part of the table name (dev, staging, prod, ...): a lowercase letter, then up to 15 lowercase letters, digits or hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.env))
    error_message = "env must start with a-z and have at most 16 characters of a-z, 0-9 and -."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for the table's server-side encryption. null: the AWS managed key aws/dynamodb. A customer managed key's policy must let DynamoDB use it for the account's principals (kms:ViaService = dynamodb.<region>.amazonaws.com); the Lambdas' own policy needs nothing for it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "point_in_time_recovery_enabled" {
  description = "Continuous backups of the table (point-in-time recovery, 35 days). Keep it on in AWS: the table may hold the only current OAuth refresh token. Off only for DynamoDB Local, which has no UpdateContinuousBackups."
  type        = bool
  default     = true
  nullable    = false
}

variable "deletion_protection_enabled" {
  description = "Refuse to delete the table. On by default: with rotating OAuth refresh tokens the table holds the only current refresh token, and losing it means authorising the integration again."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
  nullable    = false
}
