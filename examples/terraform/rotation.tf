# Scheduled rotation of the encryption key in the provider secrets (their `key`/`keys` field).
# The function is yours, deployed from examples/key-rotation/handler.ts like the refresher; this
# file wires it: one rotation schedule per rotated secret, Secrets Manager's permission to invoke
# it, and the least-privilege policy its role attaches. Each rotation keeps the current key and
# the previous one, so the period must outlast the secrets' cache expiry plus a token's lifetime
# (README, Key rotation).
locals {
  rotation_enabled = var.rotation_function_arn != null
  # arn:aws:lambda:<region>:<account>:function:<name>: the AWS/Lambda metrics use the name.
  rotation_function_name = local.rotation_enabled ? split(":", var.rotation_function_arn)[6] : null
  rotated_secret_arns    = local.rotation_enabled ? (var.rotation_secret_arns == null ? var.secret_arns : var.rotation_secret_arns) : []
}

# Indexed by position, not for_each over the ARNs: a secret created in the same apply has an ARN
# that is unknown at plan time, and for_each refuses unknown keys.
resource "aws_secretsmanager_secret_rotation" "key" {
  count = length(local.rotated_secret_arns)

  secret_id           = local.rotated_secret_arns[count.index]
  rotation_lambda_arn = var.rotation_function_arn
  # The first rotation waits for the schedule: the role may not have the policy below yet when
  # this is applied. To rotate now: aws secretsmanager rotate-secret --secret-id <arn>.
  rotate_immediately = false

  rotation_rules {
    schedule_expression = var.rotation_schedule_expression
  }

  # Secrets Manager checks at RotateSecret that it may invoke the function.
  depends_on = [aws_lambda_permission.key_rotation]

  lifecycle {
    precondition {
      condition     = contains(var.secret_arns, local.rotated_secret_arns[count.index])
      error_message = "rotation_secret_arns[${count.index}] is not one of secret_arns: rotate only a secret the Lambdas read."
    }
    precondition {
      condition     = can(regex("-[a-zA-Z0-9]{6}$", local.rotated_secret_arns[count.index]))
      error_message = "Rotated secret ${count.index} is not a full ARN (it ends in -?????? or has no 6-character suffix): set rotation_secret_arns to the secrets' full ARNs."
    }
  }
}

# One statement per secret, with its ARN as source_arn: Secrets Manager sends the rotated secret
# as aws:SourceArn, so the function cannot be made to rotate a secret of somebody else.
resource "aws_lambda_permission" "key_rotation" {
  count = length(local.rotated_secret_arns)

  # Named after the module instance: one function may rotate the secrets of several environments.
  statement_id  = "${local.name}-key-rotation-${count.index}"
  action        = "lambda:InvokeFunction"
  function_name = var.rotation_function_arn
  principal     = "secretsmanager.amazonaws.com"
  source_arn    = local.rotated_secret_arns[count.index]
}

# What the rotation function sends (test/unit/iam-policy.test.ts compares these actions with the
# `new XxxCommand(` of examples/key-rotation): the four rotation steps on the rotated secrets
# only, and a read of the token items for testSecret. No GetRandomPassword: the function draws
# its key from Node's crypto.
data "aws_iam_policy_document" "key_rotation" {
  count = local.rotation_enabled ? 1 : 0

  statement {
    sid    = "RotatedSecrets"
    effect = "Allow"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage",
    ]
    resources = local.rotated_secret_arns
  }

  # testSecret opens the stored token with the pending version's keys: a read, never a write.
  statement {
    sid       = "StoredTokens"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem"]
    resources = [module.table.arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = var.token_types
    }
  }
}

resource "aws_iam_policy" "key_rotation" {
  count = local.rotation_enabled ? 1 : 0

  name        = "${local.name}-shared-token-key-rotation"
  description = "lambda-shared-token: rotate the encryption key of the provider secrets, read the token items to test the new key"
  policy      = data.aws_iam_policy_document.key_rotation[0].json
  tags        = var.tags

  lifecycle {
    # The function reads its tokenTypes from TOKEN_TYPES, comma-separated
    # (output key_rotation_environment_variables).
    precondition {
      condition     = alltrue([for token_type in var.token_types : !strcontains(token_type, ",")])
      error_message = "With key rotation no tokenType may contain a comma: the rotation function reads them from TOKEN_TYPES, comma-separated."
    }
  }
}
