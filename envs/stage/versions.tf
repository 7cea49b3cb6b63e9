terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.38.0: modules/stage's aws_codepipeline execution_mode (QUEUED); pipeline_type V2 needs 5.32.0.
      version = ">= 5.38, < 6.0"
    }
  }
}
