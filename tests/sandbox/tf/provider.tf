# Shared by every fixture: the test copies it next to the case's main.tf.
variable "endpoint" {
  type        = string
  description = "Sandbox URL, e.g. http://127.0.0.1:5055"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "sandbox"
  secret_key                  = "sandbox"
  s3_use_path_style           = true
  skip_credentials_validation = false
  skip_metadata_api_check     = true
  max_retries                 = 2

  endpoints {
    applicationautoscaling = var.endpoint
    cloudwatch             = var.endpoint
    codebuild              = var.endpoint
    codecommit             = var.endpoint
    codepipeline           = var.endpoint
    events                 = var.endpoint
    iam                    = var.endpoint
    kms                    = var.endpoint
    logs                   = var.endpoint
    s3                     = var.endpoint
    sagemaker              = var.endpoint
    sts                    = var.endpoint
  }
}
