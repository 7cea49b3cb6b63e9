output "role_arn" {
  description = "ARN of the role Terraform assumes in this account (the env roots' terraform_role_arn)."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role Terraform assumes in this account."
  value       = aws_iam_role.this.name
}
