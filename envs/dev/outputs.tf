output "pipeline_name" {
  description = "Stage pipeline."
  value       = module.stage.pipeline_name
}

output "repository_name" {
  description = "Stage CodeCommit repository."
  value       = module.stage.repository_name
}

output "event_bus_arn" {
  description = "Stage event bus (the previous stage promotes to it)."
  value       = module.stage.event_bus_arn
}

output "codebuild_role_arn" {
  description = "Platform CodeBuild role of Deploy and Promote (assumes the tooling deployer role)."
  value       = module.stage.codebuild_role_arn
}

output "codebuild_test_role_arn" {
  description = "Test role of the Test action (describe and invoke the endpoint, write its reports)."
  value       = module.stage.codebuild_test_role_arn
}

output "execution_role_arn" {
  description = "SageMaker execution role for the endpoint."
  value       = module.stage.execution_role_arn
}

output "endpoint_name" {
  description = "Endpoint the deployer manages."
  value       = module.stage.endpoint_name
}

output "alarm_names" {
  description = "Guardrail (rollback) alarms."
  value       = module.stage.alarm_names
}

output "data_capture_s3_uri" {
  description = "Data capture destination."
  value       = module.stage.data_capture_s3_uri
}

output "stage_config_json" {
  description = "The platform-owned stage config, as written to the SSM parameter (not a repository file)."
  value       = module.stage.stage_config_json
}

output "connection_arn" {
  description = "CodeConnections connection of the Source action; null with codecommit."
  value       = module.stage.connection_arn
}

output "connection_status" {
  description = "Status of the connection this root created (PENDING until an admin completes it in the console); null when none was created."
  value       = module.stage.connection_status
}

output "platform_config_parameter_name" {
  description = "SSM parameter holding the platform-owned stage config (the deployer merges config/<stage>.json over it)."
  value       = module.stage.platform_config_parameter_name
}

output "deployer_build" {
  description = "The deployer build CodeBuild installs: wheel and lock S3 URIs with their sha256, dependency mode, wheelhouse prefix (docs/supply-chain.md)."
  value       = module.stage.deployer_build
}

output "teardown_project_name" {
  description = "CodeBuild project that tears this stage's endpoint down: start it before terraform destroy."
  value       = module.stage.teardown_project_name
}
