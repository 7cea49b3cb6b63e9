terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 4.0.0: modules/bootstrap's split aws_s3_bucket_* resources and the provider's s3_use_path_style.
      version = ">= 4.0, < 6.0"
    }
  }
}
