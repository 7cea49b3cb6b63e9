output "model_package_group_arn" {
  description = "ARN of the model package group."
  value       = module.registry.model_package_group_arn
}

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

output "deployer_role_arns" {
  description = "Map of stage name to the deployer role its CodeBuild role assumes."
  value       = module.registry.deployer_role_arns
}

output "first_stage_event_bus_arn" {
  description = "The first stage's bus that receives forwarded approval events."
  value       = module.registry.first_stage_event_bus_arn
}
