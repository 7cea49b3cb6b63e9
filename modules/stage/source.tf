################################################################################
# Platform config: what Terraform owns of the stage config, in SSM (not in the repository)
#
# The deployer reads this parameter (DEPLOYER_PLATFORM_CONFIG) and deep-merges the team's
# config/<stage>.json over it; the team file may set only the team keys (deployment choices,
# autoscaling, smoke tests, instance shape, data capture sampling) and is refused if it sets
# anything else. The values of those team keys here are the platform's defaults.
################################################################################

locals {
  platform_config = {
    schema_version    = 1
    project           = var.project
    platform          = local.platform
    model             = local.model
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
  platform_config_json = jsonencode(local.platform_config)

  platform_config_parameter_name = "/${var.project}/${var.stage}/deployer/config"
  platform_config_parameter_arn  = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.platform_config_parameter_name}"
}

resource "aws_ssm_parameter" "platform_config" {
  name        = local.platform_config_parameter_name
  description = "${local.name}: the platform-owned stage config the deployer merges the team's config/${var.stage}.json over."
  type        = "SecureString"
  key_id      = aws_kms_key.this.arn
  value       = local.platform_config_json
  # Standard holds 4 KB; many long tags can push the document past it.
  tier = length(local.platform_config_json) > 4096 ? "Advanced" : "Standard"
  tags = var.tags
}

################################################################################
# Source repository and its seed commit
################################################################################

resource "aws_codecommit_repository" "this" {
  #checkov:skip=CKV2_AWS_37:Approval rules gate pull requests; the team pushes to this repo (the seed commit only adds files it lacks), and prod is gated by the pipeline's manual approval.
  count = local.use_codecommit ? 1 : 0

  repository_name = local.repository_name
  description     = "${var.project} ${var.stage} deployment: buildspecs, stage config and smoke tests."
  tags            = var.tags
}

locals {
  seed         = local.use_codecommit && var.seed_mode == "local-exec"
  seed_files   = var.seed_dir == "" ? [] : sort(fileset(var.seed_dir, "**"))
  seed_dir_sha = sha256(join("\n", [for f in local.seed_files : "${f}:${filesha256("${var.seed_dir}/${f}")}"]))
  # The team's starting config/<stage>.json (team keys only), taken from the seed under this name.
  seed_stage_config = "config/stage.json.example"
}

# Terraform has no resource for repository files: the deployer's seed-repo command commits seed_dir, with
# config/stage.json.example as config/<stage>.json. Every file is the team's: written only while the repository
# lacks it or still holds exactly what an earlier seed wrote (.seed/manifest.json), so re-applies never
# overwrite an edit. Nothing Terraform owns is in the repository (that is the SSM parameter), so a change of
# platform facts never re-seeds. It runs before the pipeline exists: the first execution builds the seed commit.
resource "terraform_data" "seed" {
  count = local.seed ? 1 : 0

  triggers_replace = {
    repository_id = aws_codecommit_repository.this[0].repository_id
    seed_sha256   = local.seed_dir_sha
    branch        = var.repository_branch
    stage         = var.stage
  }

  provisioner "local-exec" {
    interpreter = ["/bin/sh", "-c"]
    command     = <<-EOT
      set -eu
      set -- --repository-name "$SEED_REPOSITORY" --branch "$SEED_BRANCH" --source-dir "$SEED_DIR" --region "$SEED_REGION"
      if [ -f "$SEED_DIR/$SEED_STAGE_CONFIG" ]; then
        set -- "$@" --seed-file "config/$SEED_STAGE.json=$SEED_DIR/$SEED_STAGE_CONFIG"
      fi
      if [ -n "$SEED_ROLE_ARN" ]; then set -- "$@" --role-arn "$SEED_ROLE_ARN"; fi
      "$SEED_PYTHON" -m deployer seed-repo "$@"
    EOT
    environment = {
      SEED_PYTHON       = var.seed_python
      SEED_REPOSITORY   = aws_codecommit_repository.this[0].repository_name
      SEED_BRANCH       = var.repository_branch
      SEED_DIR          = var.seed_dir
      SEED_STAGE        = var.stage
      SEED_STAGE_CONFIG = local.seed_stage_config
      SEED_REGION       = local.region
      SEED_ROLE_ARN     = var.seed_role_arn
    }
  }

  lifecycle {
    precondition {
      condition     = var.seed_dir != ""
      error_message = "seed_dir is required when seed_mode is \"local-exec\" and source_provider is codecommit (or set seed_mode = \"none\" and push the seed yourself)."
    }
  }
}
