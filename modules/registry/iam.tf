################################################################################
# Per-stage deployer roles: assumed by exactly that stage's CodeBuild role
################################################################################

resource "aws_iam_role" "deployer" {
  for_each = local.stages

  name                 = local.deployer_role_names[each.key]
  description          = "Registry read, ledger read/write and verified marks for the ${each.key} stage deployer."
  max_session_duration = 3600
  assume_role_policy   = jsonencode(local.deployer_trust_policies[each.key])
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deployer" {
  for_each = local.stages

  name   = "deployer"
  role   = aws_iam_role.deployer[each.key].id
  policy = jsonencode(local.deployer_policy)
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

  ledger_table_arn = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.ledger_table_name}"

  deployer_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RegistryRead"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"]
        Resource = [local.model_package_group_arn, local.model_packages_arn]
      },
      {
        Sid      = "RegistryMirrorVerifiedMarks"
        Effect   = "Allow"
        Action   = ["sagemaker:UpdateModelPackage"]
        Resource = [local.model_packages_arn]
      },
      {
        Sid    = "LedgerReadWrite"
        Effect = "Allow"
        Action = [
          "dynamodb:ConditionCheckItem",
          "dynamodb:DeleteItem",
          "dynamodb:DescribeTable",
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
          "dynamodb:UpdateItem",
        ]
        Resource = [local.ledger_table_arn]
      },
      {
        Sid       = "LedgerEncryption"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource  = [aws_kms_key.this.arn]
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.${local.region}.amazonaws.com" } }
      },
    ]
  }
}
