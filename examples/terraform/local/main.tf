# Applies ONLY the table part of the module, against DynamoDB Local on 127.0.0.1: the check in
# scripts/terraform/check.mjs creates the table this way and runs the simulator against it.
# Never point it at AWS: the credentials are fake and every validation that would need AWS is off.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }
}

variable "dynamodb_endpoint" {
  description = "DynamoDB Local's URL, e.g. http://127.0.0.1:8000. Loopback only."
  type        = string

  validation {
    condition     = can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]{1,5}/?$", var.dynamodb_endpoint))
    error_message = "dynamodb_endpoint must be http://127.0.0.1:<port> (or localhost): this configuration is for DynamoDB Local only."
  }
}

variable "prefix" {
  description = "Table name prefix."
  type        = string
  default     = "tfcheck"
}

variable "env" {
  description = "Environment part of the table name."
  type        = string
  default     = "local"
}

provider "aws" {
  region     = "us-east-1"
  access_key = "local"
  secret_key = "local"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = true

  endpoints {
    dynamodb = var.dynamodb_endpoint
  }
}

module "table" {
  source = "../modules/access-token-table"

  prefix = var.prefix
  env    = var.env
  # A table in memory that the check destroys right after.
  deletion_protection_enabled = false
  # DynamoDB Local answers UpdateContinuousBackups with UnknownOperationException.
  point_in_time_recovery_enabled = false
}

output "table_name" {
  description = "The table Terraform created."
  value       = module.table.name
}
