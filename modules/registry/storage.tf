################################################################################
# Artifact bucket (model data read by the stage execution roles)
################################################################################

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket per account; CloudTrail data events are the audit trail for this bucket.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice left to the platform team; versioning protects against overwrites.
  #checkov:skip=CKV2_AWS_62:No consumer for S3 event notifications; model approvals arrive through SageMaker events.
  bucket        = local.artifact_bucket_name
  force_destroy = var.artifact_bucket_force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "noncurrent-versions-and-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode(local.artifact_bucket_policy)

  depends_on = [aws_s3_bucket_public_access_block.this]
}

locals {
  artifact_bucket_arn = "arn:${local.partition}:s3:::${local.artifact_bucket_name}"

  artifact_bucket_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.artifact_bucket_arn, "${local.artifact_bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "StageExecutionRolesReadArtifacts"
        Effect    = "Allow"
        Principal = { AWS = local.stage_account_roots }
        Action    = ["s3:GetObject"]
        Resource  = ["${local.artifact_bucket_arn}/*"]
        Condition = merge({ ArnLike = { "aws:PrincipalArn" = local.execution_role_patterns } }, local.org_condition)
      },
      {
        # The deployer's preflight HeadObjects the candidate's artifact (s3:GetObject) as the stage CodeBuild role.
        Sid       = "StageCodeBuildRolesPreflightArtifacts"
        Effect    = "Allow"
        Principal = { AWS = local.stage_account_roots }
        Action    = ["s3:GetObject"]
        Resource  = ["${local.artifact_bucket_arn}/*"]
        Condition = merge({ ArnLike = { "aws:PrincipalArn" = local.codebuild_role_patterns } }, local.org_condition)
      },
      {
        # ListBucket turns a missing artifact into 404 (not 403), so preflight can say "does not exist".
        Sid       = "StageRolesListArtifacts"
        Effect    = "Allow"
        Principal = { AWS = local.stage_account_roots }
        Action    = ["s3:ListBucket"]
        Resource  = [local.artifact_bucket_arn]
        Condition = merge(
          { ArnLike = { "aws:PrincipalArn" = sort(concat(local.codebuild_role_patterns, local.execution_role_patterns)) } },
          local.org_condition,
        )
      },
      ], [for s in [
        {
          Sid       = "ProducersWriteArtifacts"
          Effect    = "Allow"
          Principal = { AWS = local.producer_roots }
          Action    = ["s3:PutObject"]
          Resource  = ["${local.artifact_bucket_arn}/models/*"]
          Condition = { ArnEquals = { "aws:PrincipalArn" = local.producer_roles } }
        },
    ] : s if local.has_producers])
  }
}

################################################################################
# Deployment ledger
################################################################################

resource "aws_dynamodb_table" "this" {
  name                        = local.ledger_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.ledger_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  tags = var.tags
}
