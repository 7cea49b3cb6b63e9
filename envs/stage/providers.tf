locals {
  # This stage's entry of the platform's stages (variables.tf validates that it exists).
  stage_account_id   = one([for s in var.stages : s.account_id if s.name == var.stage])
  stage_region       = coalesce(one([for s in var.stages : s.region if s.name == var.stage]), var.region)
  terraform_role_arn = "arn:aws:iam::${local.stage_account_id}:role/${var.terraform_role_name != "" ? var.terraform_role_name : "${var.platform}-terraform"}"
  sandbox            = var.aws_endpoint_url != ""
}

provider "aws" {
  region              = local.stage_region
  allowed_account_ids = [local.stage_account_id]

  assume_role {
    role_arn     = local.terraform_role_arn
    session_name = "terraform-${var.stage}"
  }

  default_tags {
    tags = merge(var.tags, {
      Project     = var.platform
      Environment = var.stage
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
      dynamodb     = endpoints.value
      events       = endpoints.value
      iam          = endpoints.value
      kms          = endpoints.value
      logs         = endpoints.value
      s3           = endpoints.value
      sagemaker    = endpoints.value
      sns          = endpoints.value
      ssm          = endpoints.value
      sts          = endpoints.value

      codestarconnections = endpoints.value
    }
  }

  s3_use_path_style = local.sandbox
  # A few retries on the sandbox: a read whose answer was lost under load (a loaded 2-core CI) gets another
  # try, while an unsupported call still fails in seconds rather than after 25 backoffs.
  max_retries = local.sandbox ? 5 : 25
}
