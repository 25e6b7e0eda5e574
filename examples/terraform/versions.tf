terraform {
  # 1.5: variable validation and `nullable`, as used here; 1.11 is what the checks run.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }
}
