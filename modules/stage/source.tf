################################################################################
# Stage config: exactly the shape of seed/config/<stage>.json that the deployer reads
################################################################################

locals {
  stage_config = {
    schema_version    = 1
    project           = var.project
    stage             = var.stage
    previous_stage    = var.previous_stage
    next_stage        = var.next_stage
    requires_approval = local.requires_approval
    registry = {
      model_package_group = local.model_package_group_arn
      account_id          = var.tooling_account_id
      region              = local.registry_region
      role_arn            = local.registry_role_arn
    }
    ledger = {
      table_name = local.ledger_table_name
    }
    promotion = {
      next_stage_event_bus_arn = var.next_stage_event_bus_arn
    }
    target = {
      account_id = local.account_id
      region     = local.region
      role_arn   = ""
    }
    endpoint = {
      name               = local.endpoint_name
      variant_name       = local.variant_name
      instance_type      = var.endpoint.instance_type
      instance_count     = var.endpoint.instance_count
      kms_key_arn        = aws_kms_key.this.arn
      execution_role_arn = aws_iam_role.execution.arn
      vpc                = local.endpoint_vpc_config
      network_isolation  = local.network_isolated
    }
    data_capture = {
      enabled             = var.data_capture.enabled
      sampling_percentage = var.data_capture.sampling_percentage
      destination_s3_uri  = "s3://${local.data_capture_bucket_name}/${local.data_capture_prefix}"
      kms_key_arn         = aws_kms_key.this.arn
    }
    deployment = {
      strategy = var.deployment.strategy
      step = {
        type  = var.deployment.step_type
        value = var.deployment.step_value
      }
      wait_seconds                  = var.deployment.wait_seconds
      termination_wait_seconds      = var.deployment.termination_wait_seconds
      max_execution_timeout_seconds = var.deployment.max_execution_timeout_seconds
      rollback_alarms               = [aws_cloudwatch_metric_alarm.invocation_5xx.alarm_name, aws_cloudwatch_metric_alarm.model_latency.alarm_name]
      allow_unguarded_fallback      = var.deployment.allow_unguarded_fallback
    }
    autoscaling = {
      enabled                         = var.autoscaling.enabled
      min_capacity                    = var.autoscaling.min_capacity
      max_capacity                    = var.autoscaling.max_capacity
      target_invocations_per_instance = var.autoscaling.target_invocations_per_instance
    }
    smoke_tests = {
      dir = var.smoke_tests_dir
    }
    tags = var.tags
  }
  stage_config_json = jsonencode(local.stage_config)
}

################################################################################
# Source repository and its seed commit
################################################################################

resource "aws_codecommit_repository" "this" {
  #checkov:skip=CKV2_AWS_37:Approval rules gate pull requests; this repo changes through the Terraform seed commit, and prod is gated by the pipeline's manual approval.
  count = local.use_codecommit ? 1 : 0

  repository_name = local.repository_name
  description     = "${var.project} ${var.stage} deployment: buildspecs, stage config and smoke tests."
  tags            = var.tags
}

locals {
  seed         = local.use_codecommit && var.seed_enabled
  seed_files   = var.seed_dir == "" ? [] : sort(fileset(var.seed_dir, "**"))
  seed_dir_sha = sha256(join("\n", [for f in local.seed_files : "${f}:${filesha256("${var.seed_dir}/${f}")}"]))
}

# Terraform has no resource for repository files: the deployer's seed-repo command commits
# seed_dir plus the rendered config/<stage>.json. It runs again when either changes.
# It runs before the pipeline exists, so the pipeline's first execution builds the seed commit.
resource "terraform_data" "seed" {
  count = local.seed ? 1 : 0

  triggers_replace = {
    repository_id = aws_codecommit_repository.this[0].repository_id
    config_sha256 = sha256(local.stage_config_json)
    seed_sha256   = local.seed_dir_sha
    branch        = var.repository_branch
  }

  provisioner "local-exec" {
    interpreter = ["/bin/sh", "-c"]
    command     = <<-EOT
      set -eu
      work="$(mktemp -d)"
      trap 'rm -rf "$work"' EXIT
      printf '%s' "$STAGE_CONFIG_JSON" | "$SEED_PYTHON" -m json.tool > "$work/config.json"
      set -- --repository-name "$SEED_REPOSITORY" --branch "$SEED_BRANCH" --source-dir "$SEED_DIR" \
        --file "config/$SEED_STAGE.json=$work/config.json" --region "$SEED_REGION"
      if [ -n "$SEED_ROLE_ARN" ]; then set -- "$@" --role-arn "$SEED_ROLE_ARN"; fi
      "$SEED_PYTHON" -m deployer seed-repo "$@"
    EOT
    environment = {
      STAGE_CONFIG_JSON = local.stage_config_json
      SEED_PYTHON       = var.seed_python
      SEED_REPOSITORY   = aws_codecommit_repository.this[0].repository_name
      SEED_BRANCH       = var.repository_branch
      SEED_DIR          = var.seed_dir
      SEED_STAGE        = var.stage
      SEED_REGION       = local.region
      SEED_ROLE_ARN     = var.seed_role_arn
    }
  }

  lifecycle {
    precondition {
      condition     = var.seed_dir != ""
      error_message = "seed_dir is required when seed_enabled is true and source_provider is codecommit."
    }
  }
}
