variable "revision" {
  type        = string
  default     = "1"
  description = "Changed by the test to exercise in-place updates"
}

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "artifacts" {
  bucket        = "tf-gaps-pipeline-artifacts"
  force_destroy = true
}

resource "aws_codecommit_repository" "src" {
  repository_name = "tf-gaps-pipeline-src"
}

# One role trusted by CodePipeline and EventBridge, as a stage's pipeline role can be.
resource "aws_iam_role" "pipeline" {
  name = "tf-gaps-pipeline"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = ["codepipeline.amazonaws.com", "events.amazonaws.com"] }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

resource "aws_codepipeline" "this" {
  name           = "tf-gaps-pipeline"
  role_arn       = aws_iam_role.pipeline.arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED"

  artifact_store {
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }

  variable {
    name          = "MODEL_VERSION"
    default_value = "latest"
    description   = "set by the promotion event (revision ${var.revision})"
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["source"]
      configuration = {
        RepositoryName       = aws_codecommit_repository.src.repository_name
        BranchName           = "main"
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Approve"
    action {
      name     = "Approve"
      category = "Approval"
      owner    = "AWS"
      provider = "Manual"
      version  = "1"
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Deploy"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      configuration = {
        ProjectName = "tf-gaps-deploy"
      }
    }
  }

  tags = {
    project  = "tf-gaps"
    revision = var.revision
  }
}
