# One Terraform role per account, and the state bucket in the tooling account. Apply once with
# administrator credentials; every other root then runs as <project>-terraform.

module "tooling" {
  source    = "../../modules/terraform-role"
  providers = { aws = aws.tooling }

  project                = var.project
  trusted_principal_arns = var.trusted_principal_arns

}

module "dev" {
  source    = "../../modules/terraform-role"
  providers = { aws = aws.dev }

  project                = var.project
  trusted_principal_arns = var.trusted_principal_arns
}

module "staging" {
  source    = "../../modules/terraform-role"
  providers = { aws = aws.staging }

  project                = var.project
  trusted_principal_arns = var.trusted_principal_arns
}

module "prod" {
  source    = "../../modules/terraform-role"
  providers = { aws = aws.prod }

  project                = var.project
  trusted_principal_arns = var.trusted_principal_arns
}

module "state" {
  source    = "../../modules/state-backend"
  providers = { aws = aws.tooling }

  project                     = var.project
  terraform_role_arn          = module.tooling.role_arn
  force_destroy               = var.state_bucket_force_destroy
  kms_deletion_window_in_days = var.kms_deletion_window_in_days
}
