# The tooling account of a platform with two models over a three-stage chain: the shared registry
# (modules/registry) and one modules/registry-model per model.
# `terraform init && terraform plan` against your tooling account; the env root envs/tooling is the full one.

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.27, < 6.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

locals {
  stages = [
    { name = "dev", account_id = "222222222222" },
    { name = "staging", account_id = "333333333333" },
    { name = "prod", account_id = "444444444444" },
  ]
}

module "registry" {
  source = "../../modules/registry"

  platform = "ml"
  stages   = local.stages
}

module "model" {
  source   = "../../modules/registry-model"
  for_each = toset(["churn", "fraud"])

  platform                = "ml"
  model                   = each.key
  prefix                  = "ml-${each.key}"
  stages                  = local.stages
  ledger_table_arn        = module.registry.ledger_table_arn
  kms_key_arn             = module.registry.kms_key_arn
  artifact_bucket_arn     = module.registry.artifact_bucket_arn
  events_forward_role_arn = module.registry.events_forward_role_arn
}

output "model_package_group_arns" {
  description = "The model package groups the stages deploy from, by model."
  value       = { for k, m in module.model : k => m.model_package_group_arn }
}
