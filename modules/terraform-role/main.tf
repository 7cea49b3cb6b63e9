################################################################################
# The role Terraform assumes in this account: it manages exactly this platform's
# resources (names prefixed <project>-, the platform name: every model's prefix is
# inside it), nothing else.
################################################################################

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  role_name  = var.role_name != "" ? var.role_name : "${var.project}-terraform"
  p          = var.project

  arn = {
    iam    = "arn:${local.partition}:iam::${local.account_id}"
    s3     = "arn:${local.partition}:s3:::"
    region = "${local.region}:${local.account_id}"
  }
}

resource "aws_iam_role" "this" {
  name                 = local.role_name
  description          = "Terraform for ${var.project}: manages ${var.project}-* resources in this account."
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TrustedOperators"
      Effect    = "Allow"
      Principal = { AWS = sort(var.trusted_principal_arns) }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "manage-${var.project}"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.terraform_policy)
}

locals {
  # Each service's actions are scoped to the project's resource names. Terraform owns the whole lifecycle of
  # those resources (create, read every attribute, tag, delete), so the action lists are service-wide.
  terraform_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # Roles and their inline policies; no managed-policy attachment (the modules attach none).
        Sid    = "ProjectRoles"
        Effect = "Allow"
        Action = [
          "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:PassRole",
          "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
          "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
        ]
        Resource = ["${local.arn.iam}:role/${local.p}-*"]
      },
      {
        # These name no resource: AWS authorizes them on "*" (event bus policies are PutPermission's; Terraform reads a parameter's metadata with DescribeParameters).
        Sid      = "UnscopedByAws"
        Effect   = "Allow"
        Action   = ["kms:CreateKey", "kms:ListAliases", "logs:DescribeLogGroups", "events:PutPermission", "events:RemovePermission", "ssm:DescribeParameters"]
        Resource = ["*"]
      },
      {
        Sid    = "ProjectKeys"
        Effect = "Allow"
        Action = [
          "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
          "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription",
          "kms:ScheduleKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias",
          "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
        ]
        Resource = ["arn:${local.partition}:kms:${local.arn.region}:key/*", "arn:${local.partition}:kms:${local.arn.region}:alias/${local.p}-*"]
      },
      {
        Sid      = "ProjectBuckets"
        Effect   = "Allow"
        Action   = ["s3:*"]
        Resource = ["${local.arn.s3}${local.p}-*", "${local.arn.s3}${local.p}-*/*"]
      },
      {
        Sid      = "ProjectLedger"
        Effect   = "Allow"
        Action   = ["dynamodb:*"]
        Resource = ["arn:${local.partition}:dynamodb:${local.arn.region}:table/${local.p}-*"]
      },
      {
        Sid    = "ProjectRegistry"
        Effect = "Allow"
        Action = ["sagemaker:*"]
        Resource = [
          # One group per model of the platform: <platform> (an upgraded single-model installation) or <platform>-<model>.
          "arn:${local.partition}:sagemaker:${local.arn.region}:model-package-group/${local.p}",
          "arn:${local.partition}:sagemaker:${local.arn.region}:model-package-group/${local.p}-*",
          "arn:${local.partition}:sagemaker:${local.arn.region}:model-package/${local.p}/*",
          "arn:${local.partition}:sagemaker:${local.arn.region}:model-package/${local.p}-*/*",
        ]
      },
      {
        # Removing a model checks that its endpoint is gone first (the stage module's endpoint guard); the
        # endpoint itself is the deployer's, never Terraform's.
        Sid      = "ModelEndpointGuard"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeEndpoint"]
        Resource = ["arn:${local.partition}:sagemaker:${local.arn.region}:endpoint/${local.p}-*"]
      },
      {
        Sid    = "ProjectEvents"
        Effect = "Allow"
        Action = ["events:*"]
        Resource = [
          "arn:${local.partition}:events:${local.arn.region}:event-bus/${local.p}-*",
          "arn:${local.partition}:events:${local.arn.region}:rule/${local.p}-*",
          "arn:${local.partition}:events:${local.arn.region}:rule/${local.p}-*/*",
        ]
      },
      {
        Sid    = "ProjectDelivery"
        Effect = "Allow"
        Action = ["codecommit:*", "codebuild:*", "codepipeline:*"]
        Resource = [
          "arn:${local.partition}:codecommit:${local.arn.region}:${local.p}-*",
          "arn:${local.partition}:codebuild:${local.arn.region}:project/${local.p}-*",
          "arn:${local.partition}:codebuild:${local.arn.region}:report-group/${local.p}-*",
          "arn:${local.partition}:codepipeline:${local.arn.region}:${local.p}-*",
        ]
      },
      {
        Sid    = "ProjectMonitoring"
        Effect = "Allow"
        Action = ["logs:*", "cloudwatch:*", "sns:*"]
        Resource = [
          "arn:${local.partition}:logs:${local.arn.region}:log-group:/aws/codebuild/${local.p}-*",
          "arn:${local.partition}:cloudwatch:${local.arn.region}:alarm:${local.p}-*",
          "arn:${local.partition}:sns:${local.arn.region}:${local.p}-*",
        ]
      },
      {
        Sid      = "ProjectParameters"
        Effect   = "Allow"
        Action   = ["ssm:*"]
        Resource = ["arn:${local.partition}:ssm:${local.arn.region}:parameter/${local.p}/*", "arn:${local.partition}:ssm:${local.arn.region}:parameter/${local.p}-*/*"]
      },
      {
        # Image repositories belong to the image team; the registry root only sets their pull policy.
        Sid      = "ImageRepositoryPolicies"
        Effect   = "Allow"
        Action   = ["ecr:DescribeRepositories", "ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy"]
        Resource = ["arn:${local.partition}:ecr:${local.arn.region}:repository/*"]
      },
      {
        Sid      = "SourceConnections"
        Effect   = "Allow"
        Action   = ["codeconnections:*", "codestar-connections:*"]
        Resource = ["arn:${local.partition}:codeconnections:${local.arn.region}:connection/*", "arn:${local.partition}:codestar-connections:${local.arn.region}:connection/*"]
      },
    ]
  }
}
