# The shared token table (README, "How it works"): one item per tokenType, written only through conditional
# updates (the lease and the version fence live in the item itself, so no index is needed).
resource "aws_dynamodb_table" "access_tokens" {
  name                        = "${var.prefix}-${var.env}-access-tokens"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "tokenType"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "tokenType"
    type = "S"
  }

  # expiresAt is epoch SECONDS (the unit DynamoDB TTL reads): an expired token's item goes away
  # on its own; the code treats a missing item like an expired one.
  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  # Tokens are already ciphertext (SaltCipher or KmsCipher); this encrypts the rest of the item
  # (lease owner, versions) and, with a customer managed key, gives an audit trail in CloudTrail.
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
