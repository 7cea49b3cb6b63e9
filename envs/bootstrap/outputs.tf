output "terraform_role_arns" {
  description = "Role Terraform assumes in each account (each env root's default terraform_role_arn)."
  value       = { for name, m in { tooling = module.tooling, dev = module.dev, staging = module.staging, prod = module.prod } : name => m.role_arn }
}

output "state_bucket" {
  description = "Terraform state bucket in the tooling account."
  value       = module.state.bucket
}

output "backend_config" {
  description = "Contents of envs/backend.hcl for every root's `terraform init -backend-config=../backend.hcl`."
  value = join("\n", concat([
    "bucket     = \"${module.state.bucket}\"",
    "region     = \"${module.state.region}\"",
    "kms_key_id = \"${module.state.kms_key_arn}\"",
    "assume_role = {",
    "  role_arn = \"${module.tooling.role_arn}\"",
    "}",
    ], local.sandbox ? [
    "# Local sandbox only: path-style S3 and its endpoint.",
    "use_path_style              = true",
    "skip_credentials_validation = true",
    "skip_requesting_account_id  = true",
    "skip_metadata_api_check     = true",
    "skip_region_validation      = true",
    "endpoints = {",
    "  s3  = \"${var.aws_endpoint_url}\"",
    "  sts = \"${var.aws_endpoint_url}\"",
    "  iam = \"${var.aws_endpoint_url}\"",
    "}",
  ] : [], [""]))
}
