output "artifact_bucket_name" {
  description = "Model artifact bucket."
  value       = module.registry.artifact_bucket_name
}

output "kms_key_arn" {
  description = "Registry KMS key ARN (optionally pass it to the stage roots as registry_kms_key_arn)."
  value       = module.registry.kms_key_arn
}

output "ledger_table_name" {
  description = "Deployment ledger table."
  value       = module.registry.ledger_table_name
}

output "model_package_group_names" {
  description = "Map of model to its model package group name (where data scientists register versions)."
  value       = { for k, m in module.model : k => m.model_package_group_name }
}

output "model_package_group_arns" {
  description = "Map of model to its model package group ARN."
  value       = { for k, m in module.model : k => m.model_package_group_arn }
}

output "deployer_role_arns" {
  description = "Map of model to (stage to the deployer role that model's CodeBuild role in that stage assumes)."
  value       = { for k, m in module.model : k => m.deployer_role_arns }
}

output "max_models" {
  description = "How many models fit under the configured per-account quotas (modules/catalog)."
  value       = module.catalog.max_models
}
