output "stage_config" {
  description = "The platform-owned stage config (the SSM parameter platform_config_parameter_name holds it as JSON); the team's config/<stage>.json is merged over it."
  value       = local.platform_config
}

output "stage_config_json" {
  description = "The platform-owned stage config as JSON, as stored in the SSM parameter (the repository holds only the team's config/<stage>.json)."
  value       = local.platform_config_json
}

output "requires_approval" {
  description = "Whether the pipeline has a manual approval stage."
  value       = local.requires_approval
}

output "repository_name" {
  description = "Name of the CodeCommit repository (null with codeconnections)."
  value       = one(aws_codecommit_repository.this[*].repository_name)
}

output "repository_clone_url_http" {
  description = "HTTPS clone URL of the CodeCommit repository (null with codeconnections)."
  value       = one(aws_codecommit_repository.this[*].clone_url_http)
}

output "pipeline_name" {
  description = "Name of the stage pipeline."
  value       = aws_codepipeline.this.name
}

output "pipeline_arn" {
  description = "ARN of the stage pipeline."
  value       = aws_codepipeline.this.arn
}

output "codebuild_project_names" {
  description = "Map of deploy, test and promote to their CodeBuild project names."
  value       = { for k, p in aws_codebuild_project.this : k => p.name }
}

output "codebuild_role_arn" {
  description = "ARN of the platform CodeBuild role of the Deploy and Promote actions (assumes the tooling deployer role, puts promotion events)."
  value       = aws_iam_role.codebuild.arn
}

output "codebuild_test_role_arn" {
  description = "ARN of the test role of the Test action (describes and invokes the endpoint, writes its reports; nothing else)."
  value       = aws_iam_role.codebuild_test.arn
}

output "pipeline_role_arn" {
  description = "ARN of the CodePipeline role."
  value       = aws_iam_role.pipeline.arn
}

output "execution_role_arn" {
  description = "ARN of the SageMaker execution role for the endpoint."
  value       = aws_iam_role.execution.arn
}

output "event_bus_name" {
  description = "Name of the stage event bus."
  value       = aws_cloudwatch_event_bus.this.name
}

output "event_bus_arn" {
  description = "ARN of the stage event bus (the previous stage's next_stage_event_bus_arn)."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "trigger_rule_arns" {
  description = "Map of trigger (model-approval, previous-stage-verified, source-push) to the ARN of the rule that starts the pipeline."
  value       = { for k, r in aws_cloudwatch_event_rule.trigger : k => r.arn }
}

output "endpoint_name" {
  description = "Name of the endpoint the deployer creates and updates."
  value       = local.endpoint_name
}

output "kms_key_arn" {
  description = "ARN of the stage KMS key."
  value       = aws_kms_key.this.arn
}

output "artifact_bucket_name" {
  description = "Name of the pipeline artifact bucket (also holds the deployer wheel)."
  value       = aws_s3_bucket.this["artifacts"].id
}

output "data_capture_bucket_name" {
  description = "Name of the endpoint data capture bucket."
  value       = aws_s3_bucket.this["data-capture"].id
}

output "data_capture_s3_uri" {
  description = "S3 URI the endpoint captures requests and responses to."
  value       = local.platform_config.data_capture.destination_s3_uri
}

output "alarm_names" {
  description = "Names of the guardrail alarms (the deployer's rollback alarms)."
  value       = [aws_cloudwatch_metric_alarm.invocation_5xx.alarm_name, aws_cloudwatch_metric_alarm.model_latency.alarm_name]
}

output "deployer_wheel_s3_uri" {
  description = "S3 URI of the uploaded deployer wheel (DEPLOYER_WHEEL_S3_URI), empty when none was given."
  value       = local.deployer_wheel_s3_uri
}

output "notification_topic_arn" {
  description = "ARN of the notification topic, null when none is created."
  value       = one(aws_sns_topic.this[*].arn)
}

output "connection_arn" {
  description = "ARN of the CodeConnections connection the Source action uses (created here or given); null with codecommit."
  value       = local.use_codecommit ? null : local.connection_arn
}

output "connection_status" {
  description = "Status of the connection this module created when it was last read (PENDING until completed in the console, then AVAILABLE); null when none was created here."
  value       = one(aws_codestarconnections_connection.this[*].connection_status)
}

output "platform_config_parameter_name" {
  description = "Name of the SSM SecureString parameter holding the platform-owned stage config (DEPLOYER_PLATFORM_CONFIG in the CodeBuild projects)."
  value       = aws_ssm_parameter.platform_config.name
}

output "platform_config_parameter_arn" {
  description = "ARN of the SSM parameter holding the platform-owned stage config."
  value       = aws_ssm_parameter.platform_config.arn
}

output "deployer_build" {
  description = "What the buildspecs install (docs/supply-chain.md): wheel and lock S3 URIs with their sha256, the dependency mode, and the wheelhouse prefix (bundled only). Empty strings when no wheel was given."
  value = {
    wheel_s3_uri      = local.deployer_wheel_s3_uri
    wheel_sha256      = local.deployer_wheel_sha256
    lock_s3_uri       = local.deployer_lock_s3_uri
    lock_sha256       = local.deployer_lock_sha256
    dependencies      = var.deployer_dependencies
    wheelhouse_s3_uri = local.deployer_wheelhouse_s3_uri
  }
}

output "teardown_project_name" {
  description = "CodeBuild project that tears the stage's endpoint down (start it before terraform destroy; README, Cost, quotas and teardown)."
  value       = aws_codebuild_project.this["teardown"].name
}
