################################################################################
# CodePipeline V2: Source -> [Plan -> Approval] -> Deploy -> Test -> Promote
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
        ConnectionArn        = local.connection_arn
        FullRepositoryId     = var.source_connection.full_repository_id
        BranchName           = var.source_connection.branch
        OutputArtifactFormat = "CODE_ZIP"
      }
    }
  }

  # Plan names the version; the approver approves exactly it; Deploy deploys exactly it (or fails when it is no
  # longer eligible), through the Plan action's exported variables.
  dynamic "stage" {
    for_each = local.requires_approval ? [1] : []

    content {
      name = "Plan"

      action {
        name            = "Plan"
        category        = "Build"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        input_artifacts = ["source_output"]
        namespace       = "Plan"
        configuration = {
          ProjectName = aws_codebuild_project.this["plan"].name
        }
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
          { CustomData = local.approval_text },
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
      configuration = merge(
        { ProjectName = aws_codebuild_project.this["deploy"].name },
        local.requires_approval ? {
          EnvironmentVariables = jsonencode([{ name = "DEPLOYER_MODEL_VERSION", value = "#{Plan.DEPLOYER_CANDIDATE_VERSION}", type = "PLAINTEXT" }])
        } : {},
      )
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
    aws_s3_object.deployer_lock,
    aws_s3_object.deployer_wheelhouse,
    terraform_data.seed,
    aws_ssm_parameter.platform_config, # the first execution's Deploy reads it
  ]
}

locals {
  # What the approver reads (CustomData, at most 500 characters once resolved).
  approval_text = join(" ", [
    "Deploy v#{Plan.DEPLOYER_CANDIDATE_VERSION} to ${var.stage} (#{Plan.DEPLOYER_ACTION}; live v#{Plan.DEPLOYER_LIVE_VERSION}):",
    "#{Plan.DEPLOYER_CANDIDATE_ARN},",
    "verified in #{Plan.DEPLOYER_VERIFIED_IN} at #{Plan.DEPLOYER_VERIFIED_AT} by build #{Plan.DEPLOYER_VERIFIED_BUILD}.",
    "Metric gate: #{Plan.DEPLOYER_METRIC_GATE}.",
    "Deploy ships exactly this version, or fails if it is no longer eligible.",
  ])
}
