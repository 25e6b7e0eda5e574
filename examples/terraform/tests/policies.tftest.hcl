# The two policies beside the functions' one, with a mocked AWS provider: the operator's
# (operator.tf) and the key-rotation function's (rotation.tf). Their actions, resources and
# conditions, read from the policy documents' statements. test/unit/iam-policy.test.ts holds the
# same actions against the SDK commands the code sends.
mock_provider "aws" {}

variables {
  prefix         = "acme"
  env            = "prod"
  layer_zip_path = "tests/layer.zip"
  token_types    = ["salesforce", "salesforce#tenant-42"]
  secret_arns    = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:/prod/orders/oauth/salesforce-AbCdEf"]
}

run "grants_the_operator_reads_of_the_table_and_the_secrets_only" {
  command = plan

  assert {
    condition     = aws_iam_policy.operator.name == "acme-prod-shared-token-operator"
    error_message = "The operator policy is {prefix}-{env}-shared-token-operator, always created."
  }
  assert {
    condition = { for statement in data.aws_iam_policy_document.operator.statement : statement.sid => statement.actions } == {
      TokenTable      = toset(["dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:GetItem", "dynamodb:Scan"])
      ProviderSecrets = toset(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"])
    }
    error_message = "Without kms_key_arn the operator may describe and read the table and read the secrets, nothing else."
  }
  assert {
    condition     = [for statement in data.aws_iam_policy_document.operator.statement : statement.resources if statement.sid == "ProviderSecrets"] == [toset(var.secret_arns)]
    error_message = "The operator reads the secrets of secret_arns only."
  }
}

run "grants_the_operator_the_kms_key_under_the_token_type_context" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition = [for statement in data.aws_iam_policy_document.operator.statement : [statement.actions, statement.resources, statement.condition] if statement.sid == "TokenEnvelopeKey"] == [[
      toset(["kms:GenerateDataKey", "kms:Decrypt"]),
      toset([var.kms_key_arn]),
      toset([{ test = "StringEquals", variable = "kms:EncryptionContext:tokenType", values = var.token_types }]),
    ]]
    error_message = "With kms_key_arn, doctor may generate and decrypt a data key on that key, for the listed tokenTypes' encryption context only."
  }
}

run "grants_the_rotation_function_the_rotation_steps_and_a_read_of_the_tokens" {
  command = plan

  variables {
    rotation_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:acme-prod-key-rotation"
    kms_key_arn           = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition = { for statement in data.aws_iam_policy_document.key_rotation[0].statement : statement.sid => statement.actions } == {
      RotatedSecrets = toset(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"])
      StoredTokens   = toset(["dynamodb:GetItem"])
    }
    error_message = "The rotation function may run the four rotation steps and read token items: no GetRandomPassword, no write to the table, no KMS."
  }
  assert {
    condition = [for statement in data.aws_iam_policy_document.key_rotation[0].statement : statement.condition if statement.sid == "StoredTokens"] == [
      toset([{ test = "ForAllValues:StringEquals", variable = "dynamodb:LeadingKeys", values = var.token_types }]),
    ]
    error_message = "The rotation function reads only the items of the listed tokenTypes (dynamodb:LeadingKeys)."
  }
}
