# The tooling account's registry for a three-stage chain: the smallest call of modules/registry.
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

module "registry" {
  source = "../../modules/registry"

  project = "churn"
  stages = [
    { name = "dev", account_id = "222222222222" },
    { name = "staging", account_id = "333333333333" },
    { name = "prod", account_id = "444444444444" },
  ]
}

output "model_package_group_arn" {
  description = "The model package group the stages deploy from."
  value       = module.registry.model_package_group_arn
}
