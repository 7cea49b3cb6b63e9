# One stage account (dev) fed by the tooling account's registry: the smallest call of modules/stage.
# It uses an external repository through CodeConnections, so Terraform seeds nothing and needs no
# Python; copy ../../seed into that repository yourself, with seed/config/stage.json.example as
# config/dev.json (the team's keys; the platform's are in the SSM parameter the module writes, see
# dev.json here for the merged shape). The env roots under envs/ are the full, CodeCommit-seeded version.

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.38, < 6.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

module "stage" {
  source = "../../modules/stage"

  project            = "churn"
  stage              = "dev"
  tooling_account_id = "111111111111"
  next_stage         = "staging"
  # The staging account's bus, which its stage module creates as <project>-<stage>.
  next_stage_event_bus_arn = "arn:aws:events:us-east-1:333333333333:event-bus/churn-staging"

  source_provider = "codeconnections"
  source_connection = {
    connection_arn     = "arn:aws:codeconnections:us-east-1:222222222222:connection/00000000-0000-0000-0000-000000000000"
    full_repository_id = "example-org/churn-dev"
  }
}

output "platform_config_parameter_name" {
  description = "SSM parameter holding the platform-owned stage config; the deployer merges the repository's config/dev.json over it."
  value       = module.stage.platform_config_parameter_name
}

output "endpoint_name" {
  description = "The endpoint the pipeline deploys to."
  value       = module.stage.endpoint_name
}
