output "model_package_group_name" {
  description = "Name of the model package group (the model's prefix)."
  value       = aws_sagemaker_model_package_group.this.model_package_group_name
}

output "model_package_group_arn" {
  description = "ARN of the model package group (stage configs reference it)."
  value       = aws_sagemaker_model_package_group.this.arn
}

output "deployer_role_arns" {
  description = "Map of stage name to the ARN of the deployer role that this model's CodeBuild role in that stage assumes."
  value       = { for name, role in aws_iam_role.deployer : name => role.arn }
}

output "event_rule_arn" {
  description = "ARN of the rule that forwards this model's approval changes to the first stage."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "first_stage_event_bus_arn" {
  description = "ARN of this model's event bus in the first stage, which receives the forwarded approval events."
  value       = local.first_stage_bus_arn
}
