# The policy every Lambda that uses the shared token attaches (the refresher too). It grants the
# SDK commands the code sends and nothing else; test/unit/iam-policy.test.ts reads the actions
# below and compares them with the commands found in layer/ and middleware/.
data "aws_iam_policy_document" "shared_token_access" {
  # TokenStore: GetItem reads the item (consistent read, and the waiters' polls); every write,
  # claim, commit, release and back-off, is a conditional UpdateItem. No Scan, Query or index.
  statement {
    sid       = "AccessTokenItems"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [module.table.arn]

    # Only the items of the listed tokenTypes (the partition key), so one table can serve other
    # teams' tokenTypes without them reading each other's items.
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = var.token_types
    }
  }

  # The provider secrets (credentials and salt), read by @middy/secrets-manager or the core's
  # SecretSource. Middy sends DescribeSecret only with fetchRotationDate, which is never set.
  statement {
    sid       = "ProviderSecrets"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = var.secret_arns
  }

  # KmsCipher only: a data key per tokenType, and its decryption, bound to the encryption
  # context {tokenType}, so a ciphertext of another tokenType cannot be decrypted with it.
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

resource "aws_iam_policy" "shared_token_access" {
  name        = "${local.name}-shared-token-access"
  description = "lambda-shared-token: read and update the shared token items, read the provider secrets"
  policy      = data.aws_iam_policy_document.shared_token_access.json
  tags        = var.tags
}
