output "model_package_group_name" {
  description = "Name of the model package group."
  value       = aws_sagemaker_model_package_group.this.model_package_group_name
}

output "model_package_group_arn" {
  description = "ARN of the model package group (stage configs reference it)."
  value       = aws_sagemaker_model_package_group.this.arn
}

output "artifact_bucket_name" {
  description = "Name of the model artifact bucket."
  value       = aws_s3_bucket.this.id
}

output "artifact_bucket_arn" {
  description = "ARN of the model artifact bucket."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "ARN of the registry KMS key (artifacts and ledger)."
  value       = aws_kms_key.this.arn
}

output "kms_key_id" {
  description = "Id of the registry KMS key."
  value       = aws_kms_key.this.key_id
}

output "kms_alias_name" {
  description = "Alias of the registry KMS key (alias/<project>-registry)."
  value       = aws_kms_alias.this.name
}

output "ledger_table_name" {
  description = "Name of the deployment ledger table."
  value       = aws_dynamodb_table.this.name
}

output "ledger_table_arn" {
  description = "ARN of the deployment ledger table."
  value       = aws_dynamodb_table.this.arn
}

output "deployer_role_arns" {
  description = "Map of stage name to the ARN of the deployer role that stage's CodeBuild role assumes."
  value       = { for name, role in aws_iam_role.deployer : name => role.arn }
}

output "event_rule_arn" {
  description = "ARN of the rule that forwards approval changes to the first stage."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "first_stage_event_bus_arn" {
  description = "ARN of the first stage's event bus that receives the forwarded approval events."
  value       = local.first_stage_bus_arn
}

output "events_forward_role_arn" {
  description = "ARN of the role EventBridge uses to put events on the first stage's bus."
  value       = aws_iam_role.events_forward.arn
}

output "ecr_repository_policy_names" {
  description = "ECR repositories that got a pull policy for the stage execution roles."
  value       = sort(keys(aws_ecr_repository_policy.this))
}
