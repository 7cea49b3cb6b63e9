# One root for every stage: `-var-file=../platform.tfvars -var-file=<stage>.tfvars` picks the stage.
# The catalog validates the models map and resolves each stage's neighbours from the platform's stages.
module "catalog" {
  source = "../../modules/catalog"

  platform = var.platform
  stages   = var.stages
  models   = var.models
  quotas   = var.quotas
}

locals {
  stage = module.catalog.stages[var.stage]
  # "" at the ends of the chain (the catalog may say null).
  previous            = try(coalesce(local.stage.previous), "")
  previous_account_id = try(coalesce(local.stage.previous_account_id), "")
  next                = try(coalesce(local.stage.next), "")
  next_account_id     = try(coalesce(local.stage.next_account_id), "")
  next_region         = local.next == "" ? "" : coalesce(module.catalog.stages[local.next].region, var.region)

  # Each setting of each model: this stage file's default, merged with the model's override for this stage.
  overrides = { for name, m in module.catalog.models : name => try(m.stages[var.stage], null) }
  settings = {
    for name, o in local.overrides : name => {
      endpoint     = merge(var.endpoint, try(coalesce(o.endpoint), {}))
      data_capture = merge(var.data_capture, try(coalesce(o.data_capture), {}))
      deployment   = merge(var.deployment, try(coalesce(o.deployment), {}))
      autoscaling  = merge(var.autoscaling, try(coalesce(o.autoscaling), {}))
      alarms       = merge(var.alarms, try(coalesce(o.alarms), {}))
    }
  }
}

# One stage slot per model: its repo, pipeline, builds, endpoint slot, alarms, platform config and roles.
module "model" {
  source   = "../../modules/stage"
  for_each = module.catalog.models

  project                   = each.value.prefix
  platform                  = var.platform
  model                     = each.key
  stage                     = var.stage
  tooling_account_id        = var.tooling_account_id
  registry_region           = var.region
  registry_kms_key_arn      = var.registry_kms_key_arn
  organization_id           = var.organization_id
  previous_stage            = local.previous
  previous_stage_account_id = local.previous_account_id
  next_stage                = local.next
  next_stage_event_bus_arn  = local.next == "" ? "" : "arn:aws:events:${local.next_region}:${local.next_account_id}:event-bus/${each.value.prefix}-${local.next}"
  requires_approval         = local.stage.requires_approval

  seed_dir            = abspath("${path.root}/../../seed")
  seed_python         = var.seed_python
  seed_role_arn       = local.terraform_role_arn
  deployer_wheel_path = var.deployer_wheel_path

  deployer_lock_path      = var.deployer_lock_path
  deployer_dependencies   = var.deployer_dependencies
  deployer_wheelhouse_dir = var.deployer_wheelhouse_dir

  endpoint     = local.settings[each.key].endpoint
  data_capture = local.settings[each.key].data_capture
  deployment   = local.settings[each.key].deployment
  autoscaling  = local.settings[each.key].autoscaling
  alarms       = local.settings[each.key].alarms

  ecr_repository_arns = var.ecr_repository_arns

  notification_email          = var.notification_email
  kms_deletion_window_in_days = var.kms_deletion_window_in_days
  force_destroy_buckets       = var.force_destroy_buckets
  tags                        = merge(var.tags, { Model = each.key })

  vpc = var.vpc

  # Source: CodeCommit (default) or an external repository through CodeConnections (docs/codeconnections.md).
  # A model may name its own repository (models.<name>.source in ../platform.tfvars) over this stage's defaults.
  source_provider   = try(each.value.source.provider, var.source_provider)
  source_connection = merge(var.source_connection, { for k, v in each.value.source : k => v if k != "provider" })
  seed_mode         = var.seed_mode
}
