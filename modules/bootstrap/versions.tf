terraform {
  # S3 backend lockfiles (use_lockfile) in the backend this module renders need Terraform 1.10.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.0 split aws_s3_bucket into per-concern resources, which this module uses.
      version = ">= 5.0, < 6.0"
    }
  }
}
