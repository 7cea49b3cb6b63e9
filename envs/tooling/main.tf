module "catalog" {
  source = "../../modules/catalog"

  platform = var.platform
  stages   = var.stages
  models   = var.models
  quotas   = var.quotas
}

# Shared by every model: key, artifact bucket, ledger table, event forwarding role.
module "registry" {
  source = "../../modules/registry"

  platform                      = var.platform
  stages                        = [for s in var.stages : { name = s.name, account_id = s.account_id, region = s.region }]
  organization_id               = var.organization_id
  kms_deletion_window_in_days   = var.kms_deletion_window_in_days
  artifact_bucket_force_destroy = var.artifact_bucket_force_destroy
  ledger_deletion_protection    = var.ledger_deletion_protection
  ecr_repository_names          = var.ecr_repository_names
  producer_role_arns            = var.producer_role_arns
  tags                          = var.tags
}

# One per model: its group and group policy, its deployer roles, its forwarding rules.
module "model" {
  source   = "../../modules/registry-model"
  for_each = module.catalog.models

  platform                = var.platform
  model                   = each.key
  prefix                  = each.value.prefix
  description             = each.value.description != "" ? each.value.description : null # the module's default
  stages                  = [for s in var.stages : { name = s.name, account_id = s.account_id, region = s.region }]
  ledger_table_arn        = module.registry.ledger_table_arn
  kms_key_arn             = module.registry.kms_key_arn
  artifact_bucket_arn     = module.registry.artifact_bucket_arn
  events_forward_role_arn = module.registry.events_forward_role_arn
  organization_id         = var.organization_id
  producer_role_arns      = var.producer_role_arns
  producers_can_approve   = var.producers_can_approve
  tags                    = merge(var.tags, { Model = each.key })
}
