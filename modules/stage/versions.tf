terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.38.0: aws_codepipeline execution_mode (QUEUED); also pipeline_type V2 (5.32.0), aws_cloudwatch_event_rule state (5.27.0).
      version = ">= 5.38, < 6.0"
    }
  }
}
