module "registry" {
  source = "../../modules/registry"

  project                       = var.project
  stages                        = var.stages
  organization_id               = var.organization_id
  kms_deletion_window_in_days   = var.kms_deletion_window_in_days
  artifact_bucket_force_destroy = var.artifact_bucket_force_destroy
  ledger_deletion_protection    = var.ledger_deletion_protection
  ecr_repository_names          = var.ecr_repository_names
  producer_role_arns            = var.producer_role_arns
  producers_can_approve         = var.producers_can_approve
  tags                          = var.tags
}
