# One stage account: repository, build, pipeline, events, IAM and the endpoint slot.
# The deployer owns the SageMaker Model, EndpointConfig and Endpoint.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id      = data.aws_caller_identity.current.account_id
  region          = data.aws_region.current.name
  partition       = data.aws_partition.current.partition
  registry_region = var.registry_region != "" ? var.registry_region : local.region

  # Shared per account (tooling ledger, artifacts, key, forwarding role) vs this model's own resources.
  platform          = var.platform != "" ? var.platform : var.project
  model             = var.model != "" ? var.model : var.project
  name              = "${var.project}-${var.stage}"
  requires_approval = var.requires_approval == null ? var.stage == "prod" : var.requires_approval
  use_codecommit    = var.source_provider == "codecommit"
  create_topic      = var.create_notification_topic || var.notification_email != ""
  source_branch     = local.use_codecommit ? var.repository_branch : var.source_connection.branch
  variant_name      = "AllTraffic"

  # Deterministic names and ARNs (no remote state between accounts).
  repository_name          = local.name
  repository_arn           = "arn:${local.partition}:codecommit:${local.region}:${local.account_id}:${local.repository_name}"
  codebuild_role_name      = "${local.name}-codebuild"
  test_role_name           = "${local.name}-codebuild-test"
  pipeline_role_name       = "${local.name}-pipeline"
  events_role_name         = "${local.name}-events"
  execution_role_name      = "${local.name}-sagemaker-execution"
  execution_role_arn       = "arn:${local.partition}:iam::${local.account_id}:role/${local.execution_role_name}"
  pipeline_name            = local.name
  pipeline_arn             = "arn:${local.partition}:codepipeline:${local.region}:${local.account_id}:${local.pipeline_name}"
  event_bus_name           = local.name
  event_bus_arn            = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${local.event_bus_name}"
  endpoint_name            = local.name
  endpoint_arn             = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:endpoint/${local.endpoint_name}"
  artifact_bucket_name     = "${local.name}-pipeline-${local.account_id}"
  data_capture_bucket_name = "${local.name}-data-capture-${local.account_id}"
  data_capture_prefix      = "capture"
  alarm_5xx_name           = "${local.name}-invocation-5xx"
  alarm_latency_name       = "${local.name}-model-latency"
  pipeline_failed_rule     = "${local.name}-pipeline-failed"
  # Deploy and Promote run platform-owned commands from Terraform (inline buildspecs) as the platform role;
  # only Test reads its buildspec from the stage repository, and runs as the test role.
  # A stage with a manual approval also gets Plan (before the approval: it names the version the approver
  # approves) and Rollback (started by the registry's rejection event, outside the pipeline, so a rejection
  # never waits at the approval: it only goes back to a version this stage already ran).
  codebuild_projects = merge(
    {
      deploy  = { name = "${local.name}-deploy", buildspec = local.deploy_buildspec, role = "platform", summary = "rolls the candidate out (platform buildspec)" }
      test    = { name = "${local.name}-test", buildspec = var.test_buildspec, role = "test", summary = "runs the stage repository's tests (${var.test_buildspec})" }
      promote = { name = "${local.name}-promote", buildspec = local.promote_buildspec, role = "platform", summary = "re-runs the smoke cases, records verified, promotes (platform buildspec)" }
      # Outside the pipeline, started by an operator before `terraform destroy`: it needs no source (the
      # platform config comes from SSM), and CodeBuild runs a CODEPIPELINE-source project only in a pipeline.
      teardown = { name = "${local.name}-teardown", buildspec = local.teardown_buildspec, role = "platform", summary = "deletes the endpoint and what the deployer created for it, records it (platform buildspec; start it before terraform destroy)", source = "NO_SOURCE" }
    },
    local.requires_approval ? {
      plan     = { name = "${local.name}-plan", buildspec = local.plan_buildspec, role = "platform", summary = "resolves the candidate before the manual approval and exports it (platform buildspec)" }
      rollback = { name = "${local.name}-rollback", buildspec = local.rollback_buildspec, role = "platform", summary = "rolls a Rejected live version back, started by the registry's rejection event (platform buildspec)" }
    } : {},
  )
  platform_projects   = concat(["deploy", "promote", "teardown"], local.requires_approval ? ["plan", "rollback"] : [])
  pipeline_projects   = [for k in keys(local.codebuild_projects) : k if !contains(["rollback", "teardown"], k)]
  promote_report_name = "smoke"

  # The tooling account (registry, artifacts, ledger, deployer role).
  tooling_root_arn        = "arn:${local.partition}:iam::${var.tooling_account_id}:root"
  model_package_group_arn = "arn:${local.partition}:sagemaker:${local.registry_region}:${var.tooling_account_id}:model-package-group/${var.project}"
  model_packages_arn      = "arn:${local.partition}:sagemaker:${local.registry_region}:${var.tooling_account_id}:model-package/${var.project}/*"
  registry_role_arn       = "arn:${local.partition}:iam::${var.tooling_account_id}:role/${var.project}-deployer-${var.stage}"
  registry_bucket_arn     = "arn:${local.partition}:s3:::${local.platform}-artifacts-${var.tooling_account_id}"
  registry_kms_alias      = "alias/${local.platform}-registry"
  ledger_table_name       = "${local.platform}-ledger"
  # Without the key ARN, grant the tooling keys that carry our alias.
  registry_kms_resource  = var.registry_kms_key_arn != "" ? var.registry_kms_key_arn : "arn:${local.partition}:kms:${local.registry_region}:${var.tooling_account_id}:key/*"
  registry_kms_condition = var.registry_kms_key_arn != "" ? null : { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = local.registry_kms_alias } }

  # Who may put events on this stage's bus: the previous stage's CodeBuild role, or the
  # registry's forwarding role for the first stage.
  event_source_account_id = var.previous_stage != "" ? var.previous_stage_account_id : var.tooling_account_id
  event_source_role_arn = (var.previous_stage != ""
    ? "arn:${local.partition}:iam::${var.previous_stage_account_id}:role/${var.project}-${var.previous_stage}-codebuild"
    : "arn:${local.partition}:iam::${var.tooling_account_id}:role/${local.platform}-registry-events-forward"
  )
  registry_forward_role_arn = "arn:${local.partition}:iam::${var.tooling_account_id}:role/${local.platform}-registry-events-forward"
  org_condition             = var.organization_id == "" ? {} : { StringEquals = { "aws:PrincipalOrgID" = var.organization_id } }

  # One build, one name: the wheel's key carries <distribution>-<version> and its sha256, so a new build is a
  # new object and an object is never overwritten; the lock and the wheelhouse are keyed by the lock's sha256.
  deployer_wheel            = var.deployer_wheel_path != ""
  deployer_wheel_name       = basename(var.deployer_wheel_path)
  deployer_wheel_sha256     = local.deployer_wheel ? filesha256(var.deployer_wheel_path) : ""
  deployer_wheel_key        = local.deployer_wheel ? "deployer/${join("-", slice(split("-", local.deployer_wheel_name), 0, 2))}/sha256-${local.deployer_wheel_sha256}/${local.deployer_wheel_name}" : ""
  deployer_lock_path        = var.deployer_lock_path != "" ? var.deployer_lock_path : (local.deployer_wheel ? "${dirname(var.deployer_wheel_path)}/requirements.lock" : "")
  deployer_lock_sha256      = local.deployer_wheel ? filesha256(local.deployer_lock_path) : ""
  deployer_lock_key         = local.deployer_wheel ? "deployer/requirements/sha256-${local.deployer_lock_sha256}/requirements.lock" : ""
  deployer_bundled          = local.deployer_wheel && var.deployer_dependencies == "bundled"
  deployer_wheelhouse       = local.deployer_bundled ? "deployer/wheelhouse/sha256-${local.deployer_lock_sha256}/" : ""
  deployer_wheelhouse_files = local.deployer_bundled ? fileset(var.deployer_wheelhouse_dir, "*.whl") : toset([])
  # From the objects, not the locals: CodeBuild is pointed at a build only once it is uploaded.
  deployer_wheel_s3_uri      = local.deployer_wheel ? "s3://${local.artifact_bucket_name}/${aws_s3_object.deployer_wheel[0].key}" : ""
  deployer_lock_s3_uri       = local.deployer_wheel ? "s3://${local.artifact_bucket_name}/${aws_s3_object.deployer_lock[0].key}" : ""
  deployer_wheelhouse_s3_uri = local.deployer_bundled ? "s3://${local.artifact_bucket_name}/${local.deployer_wheelhouse}" : ""

  ecr_repository_arns = length(var.ecr_repository_arns) > 0 ? var.ecr_repository_arns : ["arn:${local.partition}:ecr:${local.region}:*:repository/*"]

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
# Stage KMS key: pipeline artifacts, build logs, data capture, endpoint volumes, topic
################################################################################

resource "aws_kms_key" "this" {
  description             = "${local.name} pipeline artifacts, build logs, data capture and endpoint storage"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = jsonencode(local.kms_key_policy)
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

locals {
  kms_key_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "AccountAdministration"
          Effect    = "Allow"
          Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
          Action    = local.kms_account_actions
          Resource  = "*"
        },
        {
          Sid       = "CloudWatchLogsBuildLogs"
          Effect    = "Allow"
          Principal = { Service = "logs.${local.region}.amazonaws.com" }
          Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
          Resource  = "*"
          Condition = {
            ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = [for k, p in local.codebuild_projects : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/codebuild/${p.name}"] }
          }
        },
      ],
      local.create_topic ? [
        {
          Sid       = "NotificationPublishers"
          Effect    = "Allow"
          Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }
          Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource  = "*"
          Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
        },
      ] : [],
    )
  }
}

################################################################################
# Buckets: pipeline artifacts (and the deployer wheel) and endpoint data capture
################################################################################

locals {
  buckets = {
    artifacts    = local.artifact_bucket_name
    data-capture = local.data_capture_bucket_name
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logging needs a separate log bucket per account; CloudTrail data events are the audit trail for these buckets.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice left to the platform team; pipeline artifacts are reproducible.
  #checkov:skip=CKV2_AWS_62:No consumer for S3 event notifications on pipeline artifacts or captured requests.
  for_each = local.buckets

  bucket        = each.value
  force_destroy = var.force_destroy_buckets
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "noncurrent-versions-and-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = 90
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:${local.partition}:s3:::${each.value}", "arn:${local.partition}:s3:::${each.value}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# The deployer wheel the buildspecs pip-install (docs/supply-chain.md). source_hash (not etag): with SSE-KMS
# the object ETag is not the file's MD5, so etag would show a change on every plan. The key changes with the
# content, so a new build replaces the object: the new one is created before the old one goes.
resource "aws_s3_object" "deployer_wheel" {
  count = local.deployer_wheel ? 1 : 0

  bucket                 = aws_s3_bucket.this["artifacts"].id
  key                    = local.deployer_wheel_key
  source                 = var.deployer_wheel_path
  source_hash            = filemd5(var.deployer_wheel_path)
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.this.arn
  tags                   = var.tags

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_policy.this]
}

# Its hash-pinned lock file: the buildspecs install exactly these dependency files (pip --require-hashes).
resource "aws_s3_object" "deployer_lock" {
  count = local.deployer_wheel ? 1 : 0

  bucket                 = aws_s3_bucket.this["artifacts"].id
  key                    = local.deployer_lock_key
  source                 = local.deployer_lock_path
  source_hash            = filemd5(local.deployer_lock_path)
  content_type           = "text/plain"
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.this.arn
  tags                   = var.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = length(regexall("(?m)^[A-Za-z0-9]", file(local.deployer_lock_path))) > 0 && length(regexall("(?m)^[A-Za-z0-9]", file(local.deployer_lock_path))) == length(regexall("(?m)^[A-Za-z0-9][A-Za-z0-9._-]*==[^ ;]+ \\\\\n +--hash=sha256:[0-9a-f]{64}", file(local.deployer_lock_path)))
      error_message = "deployer_lock_path (${local.deployer_lock_path}): every requirement must be an exact name==version pin followed by its --hash=sha256: lines, as scripts/lock_deployer.py writes it (make wheel copies it beside the wheel)."
    }
  }

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_policy.this]
}

# deployer_dependencies = "bundled": the locked dependency wheels, so builds need no internet access.
resource "aws_s3_object" "deployer_wheelhouse" {
  for_each = local.deployer_wheelhouse_files

  bucket                 = aws_s3_bucket.this["artifacts"].id
  key                    = "${local.deployer_wheelhouse}${each.value}"
  source                 = "${var.deployer_wheelhouse_dir}/${each.value}"
  source_hash            = filemd5("${var.deployer_wheelhouse_dir}/${each.value}")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.this.arn
  tags                   = var.tags

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_policy.this]
}
