# Tooling account: the model registry and what the stage accounts need from it.

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
  first_stage = local.stages[var.stages[0].name]

  model_package_group_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model-package-group/${var.project}"
  model_packages_arn      = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model-package/${var.project}/*"
  artifact_bucket_name    = "${var.project}-artifacts-${local.account_id}"
  ledger_table_name       = "${var.project}-ledger"
  kms_alias_name          = "alias/${var.project}-registry"
  tooling_root_arn        = "arn:${local.partition}:iam::${local.account_id}:root"

  # Deterministic role names: the stage accounts are applied after this one, so grants name
  # the account root and narrow it with aws:PrincipalArn (real AWS rejects principals that do
  # not exist yet).
  deployer_role_names  = { for name, s in local.stages : name => "${var.project}-deployer-${name}" }
  deployer_role_arns   = { for name, role in local.deployer_role_names : name => "arn:${local.partition}:iam::${local.account_id}:role/${role}" }
  codebuild_role_arns  = { for name, s in local.stages : name => "arn:${local.partition}:iam::${s.account_id}:role/${var.project}-${name}-codebuild" }
  execution_role_arns  = { for name, s in local.stages : name => "arn:${local.partition}:iam::${s.account_id}:role/${var.project}-${name}-sagemaker-execution" }
  stage_account_roots  = distinct([for s in local.stages : "arn:${local.partition}:iam::${s.account_id}:root"])
  first_stage_bus_arn  = "arn:${local.partition}:events:${local.first_stage.region}:${local.first_stage.account_id}:event-bus/${var.project}-${local.first_stage.name}"
  forward_rule_name    = "${var.project}-model-approval-forward"
  forward_role_name    = "${var.project}-registry-events-forward"
  rejection_rule_name  = "${var.project}-model-rejection-forward"
  org_condition        = var.organization_id == "" ? {} : { StringEquals = { "aws:PrincipalOrgID" = var.organization_id } }
  sorted_codebuild_arn = sort(values(local.codebuild_role_arns))
  sorted_execution_arn = sort(values(local.execution_role_arns))
  sorted_deployer_arn  = sort(values(local.deployer_role_arns))
  producer_roles       = sort(var.producer_role_arns)
  producer_roots       = distinct([for arn in local.producer_roles : "arn:${local.partition}:iam::${split(":", arn)[4]}:root"])
  has_producers        = length(local.producer_roles) > 0

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
  description             = "${var.project} model registry artifacts and deployment ledger"
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
          { ArnEquals = { "aws:PrincipalArn" = local.sorted_execution_arn } },
          { StringEquals = merge({ "kms:ViaService" = "s3.${local.region}.amazonaws.com" }, try(local.org_condition.StringEquals, {})) },
        )
      },
      {
        Sid       = "StageCodeBuildRolesPreflight"
        Effect    = "Allow"
        Principal = { AWS = local.stage_account_roots }
        Action    = ["kms:DescribeKey"]
        Resource  = "*"
        Condition = merge({ ArnEquals = { "aws:PrincipalArn" = local.sorted_codebuild_arn } }, local.org_condition)
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

################################################################################
# Model package group and its cross-account policy
################################################################################

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.project
  model_package_group_description = var.model_package_group_description
  tags                            = var.tags
}

resource "aws_sagemaker_model_package_group_policy" "this" {
  model_package_group_name = aws_sagemaker_model_package_group.this.model_package_group_name
  resource_policy          = jsonencode(local.model_package_group_policy)
}

locals {
  model_package_group_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        # Cross-account reads only: the deployer roles live in this account and read through their own policy.
        # The stage CodeBuild roles describe the candidate in preflight, and CreateModel reads it as them.
        # Listing is the deployer roles' job; SageMaker hosting reads the artifact, not the package.
        Sid       = "StageCodeBuildRolesDescribe"
        Effect    = "Allow"
        Principal = { AWS = local.stage_account_roots }
        Action    = ["sagemaker:DescribeModelPackage"]
        Resource  = [local.model_package_group_arn, local.model_packages_arn]
        Condition = merge({ ArnEquals = { "aws:PrincipalArn" = local.sorted_codebuild_arn } }, local.org_condition)
      },
      ], [for s in [
        {
          Sid       = "ProducersReadGroup"
          Effect    = "Allow"
          Principal = { AWS = local.producer_roots }
          Action    = ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage"]
          Resource  = [local.model_package_group_arn, local.model_packages_arn]
          Condition = { ArnEquals = { "aws:PrincipalArn" = local.producer_roles } }
        },
        {
          # A version created without ModelApprovalStatus is PendingManualApproval; the condition key is then
          # absent, which StringNotEquals lets through.
          Sid       = "ProducersRegisterVersions"
          Effect    = "Allow"
          Principal = { AWS = local.producer_roots }
          Action    = var.producers_can_approve ? ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"] : ["sagemaker:CreateModelPackage"]
          Resource  = [local.model_package_group_arn, local.model_packages_arn]
          Condition = merge(
            { ArnEquals = { "aws:PrincipalArn" = local.producer_roles } },
            var.producers_can_approve ? {} : { StringNotEquals = { "sagemaker:ModelApprovalStatus" = "Approved" } },
          )
        },
    ] : s if local.has_producers])
  }
}
