# The policy of the people and roles that run the package's two commands, `lambda-shared-token
# status` (lists every item of the table) and `lambda-shared-token doctor` (checks the table, the
# secret and the KMS key). Separate from the functions' policy: an operator reads the whole table
# and the secrets, but never writes. test/unit/iam-policy.test.ts compares these actions with the
# `new XxxCommand(` under cli/.
data "aws_iam_policy_document" "operator" {
  # status: Scan (every tokenType); doctor: the item of one tokenType (does its token open?), the
  # key schema and the TTL. No condition on dynamodb:LeadingKeys: a Scan has no partition key to
  # match, so it shows every item of the table (ciphertext and lease fields only).
  statement {
    sid    = "TokenTable"
    effect = "Allow"
    actions = [
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:GetItem",
      "dynamodb:Scan",
    ]
    resources = [module.table.arn]
  }

  # doctor reads the secret to check its field names (it prints names, never values); whoever
  # holds this policy can read the provider credentials, as the functions can.
  statement {
    sid       = "ProviderSecrets"
    effect    = "Allow"
    actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    resources = var.secret_arns
  }

  # doctor --kms-key: a data key generated and decrypted under the encryption context
  # {tokenType}, the same condition as the functions' policy (iam.tf).
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "TokenEnvelopeKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:tokenType"
        values   = var.token_types
      }
    }
  }
}

resource "aws_iam_policy" "operator" {
  name        = "${local.name}-shared-token-operator"
  description = "lambda-shared-token: run the status and doctor commands (read the token table, its schema and TTL, the provider secrets)"
  policy      = data.aws_iam_policy_document.operator.json
  tags        = var.tags
}
