################################################################################
# Terraform state: one bucket and key in the tooling account for every root.
# Only the tooling account's Terraform role reads and writes it (every root's
# backend assumes that role), so no other account needs a grant.
################################################################################

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# Who runs the bootstrap (an assumed role resolves to its role ARN).
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  account_id            = data.aws_caller_identity.current.account_id
  partition             = data.aws_partition.current.partition
  arn                   = { iam = "arn:${local.partition}:iam::${local.account_id}", s3 = "arn:${local.partition}:s3:::" }
  state_bucket_name     = "${var.project}-tfstate-${local.account_id}"
  state_bucket_arn      = "${local.arn.s3}${local.state_bucket_name}"
  kms_account_actions   = ["kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:Encrypt", "kms:GenerateDataKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription"]
  account_root_arn      = "${local.arn.iam}:root"
  state_object_patterns = ["${local.state_bucket_arn}/*"]
}

resource "aws_kms_key" "state" {

  description             = "${var.project} Terraform state"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      # Delegates to IAM: the Terraform role's identity policy grants its use.
      Sid       = "AccountAdministration"
      Effect    = "Allow"
      Principal = { AWS = local.account_root_arn }
      Action    = local.kms_account_actions
      Resource  = "*"
    }]
  })
  tags = var.tags
}

resource "aws_kms_alias" "state" {

  name          = "alias/${var.project}-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket; CloudTrail data events are the audit trail for state reads and writes.
  #checkov:skip=CKV_AWS_144:Cross-region replication of state is a disaster-recovery choice left to the platform team; versioning keeps every earlier state.
  #checkov:skip=CKV2_AWS_62:Nothing consumes state-bucket events.

  bucket        = local.state_bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "noncurrent-state-and-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.state_bucket_arn, "${local.state_bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # State holds secrets in plain text: only the Terraform role (and whoever bootstrapped, to tear down) touches it.
        Sid       = "OnlyTerraformReadsState"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource  = local.state_object_patterns
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = sort(distinct([var.terraform_role_arn, local.account_root_arn, data.aws_iam_session_context.current.issuer_arn])) } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.state]
}
