# In its own module so that examples/terraform/local can apply exactly this part against
# DynamoDB Local (scripts/terraform/check.mjs does, then runs the simulator on the table).
module "table" {
  source = "./modules/access-token-table"

  prefix                      = var.prefix
  env                         = var.env
  kms_key_arn                 = var.table_kms_key_arn
  deletion_protection_enabled = var.table_deletion_protection
  tags                        = var.tags
}
