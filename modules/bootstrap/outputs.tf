output "role_arn" {
  description = "ARN of the role Terraform assumes in this account (the env roots' terraform_role_arn)."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role Terraform assumes in this account."
  value       = aws_iam_role.this.name
}

output "state_bucket" {
  description = "Name of the Terraform state bucket (null unless state_backend.enabled)."
  value       = local.state ? aws_s3_bucket.state[0].id : null
}

output "state_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the state (null unless state_backend.enabled)."
  value       = local.state ? aws_kms_key.state[0].arn : null
}

output "region" {
  description = "Region of this account's provider (where the state bucket lives)."
  value       = local.region
}
