# The zip holds nodejs/node_modules/lambda-shared-token/ with Middy and Powertools bundled in, but
# no @aws-sdk/*: the runtime's SDK is used, and a partial SDK copy under /opt would shadow it.
# This resource is the one publish step of examples/DEPLOY.md: nothing else publishes the zip.
resource "aws_lambda_layer_version" "shared_token" {
  layer_name       = "${local.name}-lambda-shared-token"
  description      = "lambda-shared-token: one shared OAuth access token per provider (DynamoDB lease, Middy middleware)"
  filename         = var.layer_zip_path
  source_code_hash = filebase64sha256(var.layer_zip_path)

  compatible_runtimes = var.layer_compatible_runtimes
  # Pure JavaScript: no native module inside.
  compatible_architectures = ["x86_64", "arm64"]
  license_info             = "MIT"
}
