variable "revision" {
  type        = string
  default     = "1"
  description = "Changed by the test to exercise in-place updates"
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "artifacts" {
  description             = "tf-gaps codebuild artifacts"
  deletion_window_in_days = 7
}

resource "aws_iam_role" "codebuild" {
  name = "tf-gaps-codebuild"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codebuild.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

resource "aws_cloudwatch_log_group" "build" {
  name              = "/aws/codebuild/tf-gaps-deploy"
  retention_in_days = 14
}

resource "aws_codebuild_project" "deploy" {
  name           = "tf-gaps-deploy"
  description    = "runs the deployer, revision ${var.revision}"
  service_role   = aws_iam_role.codebuild.arn
  encryption_key = aws_kms_key.artifacts.arn
  build_timeout  = 60
  queued_timeout = 120

  source {
    type      = "CODEPIPELINE"
    buildspec = "buildspecs/deploy.yml"
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type         = "LINUX_CONTAINER"
    compute_type = "BUILD_GENERAL1_SMALL"
    image        = "aws/codebuild/standard:7.0"

    environment_variable {
      name  = "STAGE"
      value = "dev"
    }
  }

  # As modules/stage's var.vpc renders it; the sandbox keeps it as given (no interfaces are created).
  vpc_config {
    vpc_id             = "vpc-0123456789abcdef0"
    subnets            = ["subnet-0123456789abcdef0", "subnet-11111111"]
    security_group_ids = ["sg-0123456789abcdef0"]
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.build.name
    }
    s3_logs {
      status = "DISABLED"
    }
  }

  tags = {
    project  = "tf-gaps"
    revision = var.revision
  }
}

# NO_SOURCE needs an inline buildspec and no location.
resource "aws_codebuild_project" "smoke" {
  name         = "tf-gaps-smoke"
  service_role = aws_iam_role.codebuild.arn

  source {
    type      = "NO_SOURCE"
    buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n"
  }

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    type         = "LINUX_CONTAINER"
    compute_type = "BUILD_GENERAL1_SMALL"
    image        = "aws/codebuild/standard:7.0"
  }
}
