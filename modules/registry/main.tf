# Tooling account, shared by every model of the platform: the registry key, the artifact bucket, the
# deployment ledger and the event forwarding role. Each model's group, deployer roles and forwarding rules
# are modules/registry-model.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  stages = {
    for s in var.stages : s.name => {
      name       = s.name
      account_id = s.account_id
      region     = s.region != "" ? s.region : local.region
    }
  }

  artifact_bucket_name = "${var.platform}-artifacts-${local.account_id}"
  ledger_table_name    = "${var.platform}-ledger"
  kms_alias_name       = "alias/${var.platform}-registry"
  tooling_root_arn     = "arn:${local.partition}:iam::${local.account_id}:root"

  # The models' roles in the stage accounts, as ArnLike patterns: every model's roles are <prefix>-<stage>-...
  # with a prefix inside <platform>-* (modules/catalog), which only the platform's Terraform role may create
  # there. Patterns keep these shared policies the same as models come and go (no update, no size limit).
  execution_role_patterns = sort([for s in local.stages : "arn:${local.partition}:iam::${s.account_id}:role/${var.platform}-*-sagemaker-execution"])
  codebuild_role_patterns = sort([for s in local.stages : "arn:${local.partition}:iam::${s.account_id}:role/${var.platform}-*-codebuild"])
  stage_account_roots     = distinct([for s in local.stages : "arn:${local.partition}:iam::${s.account_id}:root"])
  forward_role_name       = "${var.platform}-registry-events-forward"
  org_condition           = var.organization_id == "" ? {} : { StringEquals = { "aws:PrincipalOrgID" = var.organization_id } }
  producer_roles          = sort(var.producer_role_arns)
  producer_roots          = distinct([for arn in local.producer_roles : "arn:${local.partition}:iam::${split(":", arn)[4]}:root"])
  has_producers           = length(local.producer_roles) > 0

  # Explicit key administration and use actions for the account itself (no kms:*).
  kms_account_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]
}

################################################################################
# KMS key: artifacts and ledger
################################################################################

resource "aws_kms_key" "this" {
  description             = "${var.platform} model registry artifacts and deployment ledger"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = jsonencode(local.kms_key_policy)
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = local.kms_alias_name
  target_key_id = aws_kms_key.this.key_id
}

locals {
  kms_key_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = local.tooling_root_arn }
        Action    = local.kms_account_actions
        Resource  = "*"
      },
      {
        # SageMaker hosting reads the model artifact from S3 as the execution role: S3 decrypts on its behalf.
        Sid       = "StageExecutionRolesDecryptArtifacts"
        Effect    = "Allow"
        Principal = { AWS = local.stage_account_roots }
        Action    = ["kms:Decrypt"]
        Resource  = "*"
        Condition = merge(
          { ArnLike = { "aws:PrincipalArn" = local.execution_role_patterns } },
          { StringEquals = merge({ "kms:ViaService" = "s3.${local.region}.amazonaws.com" }, try(local.org_condition.StringEquals, {})) },
        )
      },
      {
        Sid       = "StageCodeBuildRolesPreflight"
        Effect    = "Allow"
        Principal = { AWS = local.stage_account_roots }
        Action    = ["kms:DescribeKey"]
        Resource  = "*"
        Condition = merge({ ArnLike = { "aws:PrincipalArn" = local.codebuild_role_patterns } }, local.org_condition)
      },
      ], [for s in [
        {
          # Producers upload artifacts with SSE-KMS: S3 asks for a data key as them.
          Sid       = "ProducersEncryptArtifacts"
          Effect    = "Allow"
          Principal = { AWS = local.producer_roots }
          Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
          Resource  = "*"
          Condition = {
            ArnEquals    = { "aws:PrincipalArn" = local.producer_roles }
            StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" }
          }
        },
    ] : s if local.has_producers])
  }
}
