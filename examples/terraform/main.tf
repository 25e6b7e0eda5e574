# lambda-shared-token: what a team deploys once per environment so that many Lambdas share one
# OAuth access token per provider. One concept per file:
#   table.tf      the token table {prefix}-{env}-access-tokens (modules/access-token-table)
#   layer.tf      the Lambda layer version, from the zip `make layer` builds
#   iam.tf        the least-privilege policy the dependent Lambdas attach
#   refresher.tf  the EventBridge schedule of the refresher Lambda (optional)
#   rotation.tf   the Secrets Manager rotation of the secrets' key, and its policy (optional)
#   alarms.tf     CloudWatch alarms and their SNS topic
#   dashboard.tf  the CloudWatch dashboard (optional, on by default)
#   operator.tf   the policy of whoever runs `lambda-shared-token status` and `doctor`

locals {
  name = "${var.prefix}-${var.env}"
}
