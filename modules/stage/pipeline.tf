################################################################################
# CodePipeline V2: Source -> [Approval] -> Deploy -> Test -> Promote
################################################################################

resource "aws_codepipeline" "this" {
  name           = local.pipeline_name
  role_arn       = aws_iam_role.pipeline.arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED"

  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.this["artifacts"].id

    encryption_key {
      type = "KMS"
      id   = aws_kms_key.this.arn
    }
  }

  stage {
    name = "Source"

    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = local.use_codecommit ? "CodeCommit" : "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source_output"]
      namespace        = "SourceVariables"
      configuration = local.use_codecommit ? {
        RepositoryName       = local.repository_name
        BranchName           = var.repository_branch
        PollForSourceChanges = "false"
        OutputArtifactFormat = "CODE_ZIP"
        } : {
        ConnectionArn        = var.source_connection.connection_arn
        FullRepositoryId     = var.source_connection.full_repository_id
        BranchName           = var.source_connection.branch
        OutputArtifactFormat = "CODE_ZIP"
      }
    }
  }

  dynamic "stage" {
    for_each = local.requires_approval ? [1] : []

    content {
      name = "Approval"

      action {
        name     = "ManualApproval"
        category = "Approval"
        owner    = "AWS"
        provider = "Manual"
        version  = "1"
        configuration = merge(
          { CustomData = "Approve deploying to ${var.stage} the model version that ${var.previous_stage != "" ? var.previous_stage : "the registry"} verified." },
          local.create_topic ? { NotificationArn = aws_sns_topic.this[0].arn } : {},
        )
      }
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
      input_artifacts = ["source_output"]
      configuration = {
        ProjectName = aws_codebuild_project.this["deploy"].name
      }
    }
  }

  # The team's tests (their buildspec, the test role). A failure stops the execution before Promote.
  stage {
    name = "Test"

    action {
      name            = "Test"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source_output"]
      configuration = {
        ProjectName = aws_codebuild_project.this["test"].name
      }
    }
  }

  # Platform-owned: the only step that records "verified" and sends the promotion event.
  stage {
    name = "Promote"

    action {
      name            = "VerifyAndPromote"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source_output"]
      configuration = {
        ProjectName = aws_codebuild_project.this["promote"].name
      }
    }
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy.pipeline,
    aws_s3_object.deployer_wheel,
    terraform_data.seed,
  ]
}
