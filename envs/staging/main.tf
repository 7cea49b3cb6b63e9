module "stage" {
  source = "../../modules/stage"

  project                   = var.project
  stage                     = var.stage
  tooling_account_id        = var.tooling_account_id
  registry_kms_key_arn      = var.registry_kms_key_arn
  organization_id           = var.organization_id
  previous_stage            = var.previous_stage
  previous_stage_account_id = var.previous_stage_account_id
  next_stage                = var.next_stage
  next_stage_event_bus_arn  = var.next_stage == "" ? "" : "arn:aws:events:${var.region}:${var.next_stage_account_id}:event-bus/${var.project}-${var.next_stage}"
  requires_approval         = var.requires_approval

  seed_dir            = abspath("${path.root}/../../seed")
  seed_python         = var.seed_python
  seed_role_arn       = local.terraform_role_arn
  deployer_wheel_path = var.deployer_wheel_path

  deployer_lock_path      = var.deployer_lock_path
  deployer_dependencies   = var.deployer_dependencies
  deployer_wheelhouse_dir = var.deployer_wheelhouse_dir

  endpoint     = var.endpoint
  data_capture = var.data_capture
  deployment   = var.deployment
  autoscaling  = var.autoscaling
  alarms       = var.alarms

  ecr_repository_arns = var.ecr_repository_arns

  notification_email          = var.notification_email
  kms_deletion_window_in_days = var.kms_deletion_window_in_days
  force_destroy_buckets       = var.force_destroy_buckets
  tags                        = var.tags

  vpc = var.vpc

  # Source: CodeCommit (default) or an external repository through CodeConnections (docs/codeconnections.md).
  source_provider   = var.source_provider
  source_connection = var.source_connection
  seed_mode         = var.seed_mode
}
