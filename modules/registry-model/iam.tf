################################################################################
# Per-stage deployer roles of this model: assumed by exactly that stage's CodeBuild
# role of this model, each with a policy of its own (its ledger items, its registry
# marks, nothing else)
################################################################################

resource "aws_iam_role" "deployer" {
  for_each = local.stages

  name                 = local.deployer_role_names[each.key]
  description          = "Registry read, ledger read/write and registry marks for the ${var.model} model's ${each.key} stage deployer."
  max_session_duration = 3600
  assume_role_policy   = jsonencode(local.deployer_trust_policies[each.key])
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deployer" {
  for_each = local.stages

  name   = "deployer"
  role   = aws_iam_role.deployer[each.key].id
  policy = jsonencode(local.deployer_policies[each.key])

  lifecycle {
    precondition {
      condition     = length(jsonencode(local.deployer_policies[each.key])) <= 10240
      error_message = "The ${each.key} deployer policy is ${length(jsonencode(local.deployer_policies[each.key]))} characters; IAM allows at most 10240 for the inline policies of a role (every stage adds one Deny per mark key to every other stage's policy: use fewer stages or shorter names)."
    }
  }
}

locals {
  deployer_trust_policies = {
    for name, s in local.stages : name => {
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "StageCodeBuildRole"
          Effect    = "Allow"
          Principal = { AWS = "arn:${local.partition}:iam::${s.account_id}:root" }
          Action    = "sts:AssumeRole"
          Condition = merge({ ArnEquals = { "aws:PrincipalArn" = local.codebuild_role_arns[name] } }, local.org_condition)
        },
      ]
    }
  }

  # The stage before each stage (its verified marks are the later stage's candidates).
  previous_stages = { for i, s in var.stages : s.name => i == 0 ? "" : var.stages[i - 1].name }

  # Ledger partition keys (deployer/ledger/dynamodb_items.py), in the platform's shared table:
  # MODEL#<model>#STAGE#<stage> (history and marks), MODEL#<model>#VERSION#<version> (history by version,
  # written with every versioned entry), LOCK#<endpoint> (the lease; the endpoint is <prefix>-<stage>, as the
  # stage module names it). A model's roles reach only keys that carry its own name.
  model_key = "MODEL#${var.model}"
  ledger_write_keys = {
    for name, s in local.stages : name => ["${local.model_key}#STAGE#${name}", "LOCK#${var.prefix}-${name}", "${local.model_key}#VERSION#*"]
  }
  ledger_read_keys = {
    for name, s in local.stages : name => concat(
      ["${local.model_key}#STAGE#${name}"],
      local.previous_stages[name] == "" ? [] : ["${local.model_key}#STAGE#${local.previous_stages[name]}"],
      ["LOCK#${var.prefix}-${name}", "${local.model_key}#VERSION#*"],
    )
  }

  # Registry marks (python/deployer/src/deployer/registry_marks.py): deployer:<kind>:<stage>.
  mark_kinds = ["verified", "live", "rolled-back"]
  mark_keys  = { for name, s in local.stages : name => [for kind in local.mark_kinds : "deployer:${kind}:${name}"] }
  other_stage_mark_keys = {
    for name, s in local.stages : name => flatten([for other, keys in local.mark_keys : keys if other != name])
  }

  deployer_policies = {
    for name, s in local.stages : name => {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid      = "RegistryRead"
            Effect   = "Allow"
            Action   = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
            Resource = [local.model_package_group_arn, local.model_packages_arn]
          },
          {
            # The deployer tells "no such group" from "no such version" (registry.RegistryReader.group_exists).
            Sid      = "RegistryGroupExists"
            Effect   = "Allow"
            Action   = ["sagemaker:DescribeModelPackageGroup"]
            Resource = [local.model_package_group_arn]
          },
          {
            Sid      = "RegistryMirrorMarks"
            Effect   = "Allow"
            Action   = ["sagemaker:UpdateModelPackage"]
            Resource = [local.model_packages_arn]
          },
          {
            # sagemaker:ModelApprovalStatus is in the request context only when the request sets it.
            Sid       = "DenyApprovalStatusChange"
            Effect    = "Deny"
            Action    = ["sagemaker:UpdateModelPackage"]
            Resource  = [local.model_packages_arn]
            Condition = { Null = { "sagemaker:ModelApprovalStatus" = "false" } }
          },
          {
            # Removals are a list (ArrayOfString): only this stage's own mark keys may be removed.
            Sid       = "DenyRemovingOtherMarks"
            Effect    = "Deny"
            Action    = ["sagemaker:UpdateModelPackage"]
            Resource  = [local.model_packages_arn]
            Condition = { "ForAnyValue:StringNotEquals" = { "sagemaker:CustomerMetadataPropertiesToRemove" = local.mark_keys[name] } }
          },
        ],
        # Set keys are one condition key each (sagemaker:CustomerMetadataProperties/<key>), and keys of one
        # condition are ANDed: one Deny per other stage's mark key.
        [
          for i, key in local.other_stage_mark_keys[name] : {
            Sid       = "DenyOtherStageMark${i}"
            Effect    = "Deny"
            Action    = ["sagemaker:UpdateModelPackage"]
            Resource  = [local.model_packages_arn]
            Condition = { Null = { "sagemaker:CustomerMetadataProperties/${key}" = "false" } }
          }
        ],
        [
          {
            # Reads: this stage, the stage before it (the promotion contract reads its verified marks), the lock.
            Sid       = "LedgerRead"
            Effect    = "Allow"
            Action    = ["dynamodb:GetItem", "dynamodb:Query"]
            Resource  = [var.ledger_table_arn]
            Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = local.ledger_read_keys[name] } }
          },
          {
            # Writes (also each item of a TransactWriteItems): this stage's history and marks, its endpoint's
            # lock, and the by-version copies of its history entries.
            Sid       = "LedgerWriteOwnStage"
            Effect    = "Allow"
            Action    = ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
            Resource  = [var.ledger_table_arn]
            Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = local.ledger_write_keys[name] } }
          },
          {
            # The metric gate reads the candidate's and the live version's ModelMetrics documents, which
            # producers write under models/ (modules/registry ProducersWriteArtifacts); nothing else of the bucket.
            Sid      = "RegistryMetricsRead"
            Effect   = "Allow"
            Action   = ["s3:GetObject"]
            Resource = ["${var.artifact_bucket_arn}/models/*"]
          },
          {
            # The bucket is SSE-KMS with the registry key: S3 decrypts the metrics document on the role's behalf.
            Sid       = "RegistryMetricsDecrypt"
            Effect    = "Allow"
            Action    = ["kms:Decrypt"]
            Resource  = [var.kms_key_arn]
            Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
          },
          {
            Sid       = "LedgerEncryption"
            Effect    = "Allow"
            Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
            Resource  = [var.kms_key_arn]
            Condition = { StringEquals = { "kms:ViaService" = "dynamodb.${local.region}.amazonaws.com" } }
          },
        ],
      )
    }
  }
}
