locals {
  terraform_role_arn = var.terraform_role_arn != "" ? var.terraform_role_arn : "arn:aws:iam::${var.tooling_account_id}:role/${var.platform}-terraform"
  sandbox            = var.aws_endpoint_url != ""
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.tooling_account_id]

  assume_role {
    role_arn     = local.terraform_role_arn
    session_name = "terraform-tooling"
  }

  default_tags {
    tags = merge(var.tags, {
      Platform    = var.platform
      Environment = "tooling"
      ManagedBy   = "terraform"
    })
  }

  # Local sandbox only: every service these modules use goes to aws_endpoint_url.
  # Empty (the default) means real AWS.
  dynamic "endpoints" {
    for_each = local.sandbox ? [var.aws_endpoint_url] : []

    content {
      cloudwatch   = endpoints.value
      codebuild    = endpoints.value
      codecommit   = endpoints.value
      codepipeline = endpoints.value
      ecr          = endpoints.value
      dynamodb     = endpoints.value
      events       = endpoints.value
      iam          = endpoints.value
      kms          = endpoints.value
      logs         = endpoints.value
      s3           = endpoints.value
      sagemaker    = endpoints.value
      sns          = endpoints.value
      sts          = endpoints.value
    }
  }

  s3_use_path_style = local.sandbox
  # A few retries on the sandbox: a read whose answer was lost under load (a loaded 2-core CI) gets another
  # try, while an unsupported call still fails in seconds rather than after 25 backoffs.
  max_retries = local.sandbox ? 5 : 25
}
