# lambda-shared-token: what a team deploys once per environment so that many Lambdas share one
# OAuth access token per provider. One concept per file:
#   table.tf      the token table {prefix}-{env}-access-tokens (modules/access-token-table)
#   layer.tf      the Lambda layer version, from the zip `make layer` builds
#   iam.tf        the least-privilege policy the dependent Lambdas attach
#   refresher.tf  the EventBridge schedule of the refresher Lambda (optional)
#   alarms.tf     CloudWatch alarms and their SNS topic

locals {
  name = "${var.prefix}-${var.env}"
}
