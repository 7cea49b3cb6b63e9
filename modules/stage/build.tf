################################################################################
# CodeBuild projects: deploy and promote (platform buildspecs, platform role) and
# test (the stage repository's buildspec, test role)
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.codebuild_projects

  name              = "/aws/codebuild/${each.value.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_codebuild_project" "this" {
  for_each = local.codebuild_projects

  name           = each.value.name
  description    = "${local.name}: ${each.key} action of the pipeline; ${each.value.summary}."
  service_role   = each.value.role == "platform" ? aws_iam_role.codebuild.arn : aws_iam_role.codebuild_test.arn
  build_timeout  = var.codebuild.build_timeout_minutes
  queued_timeout = 480
  encryption_key = aws_kms_key.this.arn

  source {
    type      = try(each.value.source, "CODEPIPELINE")
    buildspec = each.value.buildspec
  }

  artifacts {
    type = try(each.value.source, "CODEPIPELINE") == "NO_SOURCE" ? "NO_ARTIFACTS" : "CODEPIPELINE"
  }

  environment {
    type                        = "LINUX_CONTAINER"
    compute_type                = var.codebuild.compute_type
    image                       = var.codebuild.image
    image_pull_credentials_type = "CODEBUILD"
    privileged_mode             = false

    environment_variable {
      name  = "PROJECT"
      value = var.project
    }

    environment_variable {
      name  = "STAGE"
      value = var.stage
    }

    # The exact deployer build and lock (with their sha256, checked before installing) and, bundled, the
    # wheelhouse prefix: install-deployer.sh reads them.
    dynamic "environment_variable" {
      for_each = {
        DEPLOYER_WHEEL_S3_URI      = local.deployer_wheel_s3_uri
        DEPLOYER_WHEEL_SHA256      = local.deployer_wheel_sha256
        DEPLOYER_LOCK_S3_URI       = local.deployer_lock_s3_uri
        DEPLOYER_LOCK_SHA256       = local.deployer_lock_sha256
        DEPLOYER_WHEELHOUSE_S3_URI = local.deployer_wheelhouse_s3_uri
      }
      content {
        name  = environment_variable.key
        value = environment_variable.value
      }
    }

    # The platform-owned stage config the deployer merges config/<stage>.json over (source.tf).
    environment_variable {
      name  = "DEPLOYER_PLATFORM_CONFIG"
      value = local.platform_config_parameter_name
    }
  }

  # Every project of the stage runs in the stage's subnets when var.vpc is set (and vpc.codebuild is true).
  dynamic "vpc_config" {
    for_each = local.codebuild_in_vpc ? [var.vpc] : []
    content {
      vpc_id             = vpc_config.value.vpc_id
      subnets            = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  logs_config {
    cloudwatch_logs {
      status     = "ENABLED"
      group_name = aws_cloudwatch_log_group.this[each.key].name
    }

    s3_logs {
      status = "DISABLED"
    }
  }

  tags = var.tags

  # The wheelhouse is in place before a build can list it (the wheel and lock URIs come from their objects).
  depends_on = [aws_iam_role_policy.codebuild, aws_iam_role_policy.codebuild_test, aws_s3_object.deployer_wheelhouse]
}
