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
  description = "Alias of the registry KMS key (alias/<platform>-registry)."
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

output "events_forward_role_arn" {
  description = "ARN of the role the models' forwarding rules use to put events on their stage buses."
  value       = aws_iam_role.events_forward.arn
}

output "ecr_repository_policy_names" {
  description = "ECR repositories that got a pull policy for the stage execution roles."
  value       = sort(keys(aws_ecr_repository_policy.this))
}
