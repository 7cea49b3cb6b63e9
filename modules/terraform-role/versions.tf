terraform {
  # S3 backend lockfiles (use_lockfile) in the backend this module renders need Terraform 1.10.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 4.0.0: the split aws_s3_bucket_versioning/_server_side_encryption_configuration/_lifecycle_configuration resources.
      version = ">= 4.0, < 6.0"
    }
  }
}
