# Tooling account, per model: its model package group (and the group's cross-account policy), its deployer
# role per stage, and the rules that forward its approvals. What the models share (key, artifact bucket,
# ledger table, forwarding role) is modules/registry.

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

  model_package_group_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model-package-group/${var.prefix}"
  model_packages_arn      = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model-package/${var.prefix}/*"

  # Deterministic role names: the stage accounts are applied after this one, so grants name
  # the account root and narrow it with aws:PrincipalArn (real AWS rejects principals that do
  # not exist yet).
  deployer_role_names  = { for name, s in local.stages : name => "${var.prefix}-deployer-${name}" }
  codebuild_role_arns  = { for name, s in local.stages : name => "arn:${local.partition}:iam::${s.account_id}:role/${var.prefix}-${name}-codebuild" }
  stage_account_roots  = distinct([for s in local.stages : "arn:${local.partition}:iam::${s.account_id}:root"])
  first_stage_bus_arn  = "arn:${local.partition}:events:${local.first_stage.region}:${local.first_stage.account_id}:event-bus/${var.prefix}-${local.first_stage.name}"
  forward_rule_name    = "${var.prefix}-model-approval-forward"
  rejection_rule_name  = "${var.prefix}-model-rejection-forward"
  org_condition        = var.organization_id == "" ? {} : { StringEquals = { "aws:PrincipalOrgID" = var.organization_id } }
  sorted_codebuild_arn = sort(values(local.codebuild_role_arns))
  producer_roles       = sort(var.producer_role_arns)
  producer_roots       = distinct([for arn in local.producer_roles : "arn:${local.partition}:iam::${split(":", arn)[4]}:root"])
  has_producers        = length(local.producer_roles) > 0
}

################################################################################
# Model package group and its cross-account policy
################################################################################

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.prefix
  model_package_group_description = var.description
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
