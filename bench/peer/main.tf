# The peer of figure 9: the plainest Terraform rollout of a registered model version, with SageMaker's own
# blue/green guardrails. bench/peer.py applies it at v1, then at v2 (a version whose update SageMaker rolls back)
# and records what Terraform says and what it leaves behind. Against the sandbox only (var.endpoint).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type        = string
  description = "Sandbox URL, e.g. http://127.0.0.1:5055"
}

variable "account_id" {
  type        = string
  description = "The stage account the endpoint lives in (reached through OrganizationAccountAccessRole)"
}

variable "name" {
  type        = string
  description = "Endpoint name; the model and config are named <name>-v<version>"
}

variable "model_version" {
  type = number
}

variable "model_package_arn" {
  type = string
}

variable "execution_role_arn" {
  type = string
}

variable "alarms" {
  type        = list(string)
  description = "CloudWatch alarms that roll an update back"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "sandbox"
  secret_key                  = "sandbox"
  skip_credentials_validation = false
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  max_retries                 = 5

  assume_role {
    role_arn     = "arn:aws:iam::${var.account_id}:role/OrganizationAccountAccessRole"
    session_name = "bench-peer"
  }

  endpoints {
    sagemaker = var.endpoint
    sts       = var.endpoint
  }
}

resource "aws_sagemaker_model" "this" {
  name               = "${var.name}-v${var.model_version}"
  execution_role_arn = var.execution_role_arn

  primary_container {
    model_package_name = var.model_package_arn
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  name = "${var.name}-v${var.model_version}"

  production_variants {
    variant_name           = "AllTraffic"
    model_name             = aws_sagemaker_model.this.name
    initial_instance_count = 2
    instance_type          = "ml.m5.large"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name

  deployment_config {
    blue_green_update_policy {
      traffic_routing_configuration {
        type                     = "CANARY"
        wait_interval_in_seconds = 60
        canary_size {
          type  = "INSTANCE_COUNT"
          value = 1
        }
      }
      termination_wait_in_seconds          = 0
      maximum_execution_timeout_in_seconds = 3600
    }

    auto_rollback_configuration {
      dynamic "alarms" {
        for_each = var.alarms
        content {
          alarm_name = alarms.value
        }
      }
    }
  }
}
