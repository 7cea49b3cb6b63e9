output "stage" {
  description = "This stage: name, account_id, region, requires_approval, previous and next stage with their accounts (from the platform's stages)."
  value       = local.stage
}

output "models" {
  description = "The models this stage serves: model => its resource name prefix."
  value       = { for name, m in module.catalog.models : name => m.prefix }
}

output "pipeline_names" {
  description = "Per model: stage pipeline."
  value       = { for name, m in module.model : name => m.pipeline_name }
}

output "repository_names" {
  description = "Per model: stage CodeCommit repository."
  value       = { for name, m in module.model : name => m.repository_name }
}

output "event_bus_arns" {
  description = "Per model: stage event bus (the previous stage promotes to it)."
  value       = { for name, m in module.model : name => m.event_bus_arn }
}

output "codebuild_role_arns" {
  description = "Per model: platform CodeBuild role of Deploy and Promote (assumes the tooling deployer role)."
  value       = { for name, m in module.model : name => m.codebuild_role_arn }
}

output "codebuild_test_role_arns" {
  description = "Per model: test role of the Test action (describe and invoke the endpoint, write its reports)."
  value       = { for name, m in module.model : name => m.codebuild_test_role_arn }
}

output "execution_role_arns" {
  description = "Per model: sageMaker execution role for the endpoint."
  value       = { for name, m in module.model : name => m.execution_role_arn }
}

output "endpoint_names" {
  description = "Per model: endpoint the deployer manages."
  value       = { for name, m in module.model : name => m.endpoint_name }
}

output "alarm_names" {
  description = "Per model: guardrail (rollback) alarms."
  value       = { for name, m in module.model : name => m.alarm_names }
}

output "data_capture_s3_uris" {
  description = "Per model: data capture destination."
  value       = { for name, m in module.model : name => m.data_capture_s3_uri }
}

output "stage_config_json" {
  description = "Per model: the platform-owned stage config, as written to the SSM parameter (not a repository file)."
  value       = { for name, m in module.model : name => m.stage_config_json }
}

output "connection_arns" {
  description = "Per model: codeConnections connection of the Source action; null with codecommit."
  value       = { for name, m in module.model : name => m.connection_arn }
}

output "connection_statuses" {
  description = "Per model: status of the connection this root created (PENDING until an admin completes it in the console); null when none was created."
  value       = { for name, m in module.model : name => m.connection_status }
}

output "platform_config_parameter_names" {
  description = "Per model: sSM parameter holding the platform-owned stage config (the deployer merges config/<stage>.json over it)."
  value       = { for name, m in module.model : name => m.platform_config_parameter_name }
}

output "deployer_builds" {
  description = "Per model: the deployer build CodeBuild installs: wheel and lock S3 URIs with their sha256, dependency mode, wheelhouse prefix (docs/supply-chain.md)."
  value       = { for name, m in module.model : name => m.deployer_build }
}

output "teardown_project_names" {
  description = "Per model: codeBuild project that tears this stage's endpoint down: start it before terraform destroy."
  value       = { for name, m in module.model : name => m.teardown_project_name }
}
