terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.27.0: aws_cloudwatch_event_rule state (replaces is_enabled).
      version = ">= 5.27, < 6.0"
    }
  }
}
