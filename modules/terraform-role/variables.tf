variable "project" {
  description = "Project name: the prefix of every resource the Terraform role may manage (<project>-*)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.project))
    error_message = "project (the platform name) must be 2-32 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "trusted_principal_arns" {
  description = "Exact IAM principals (role or user ARNs, or an account root to delegate to that account's IAM) that may assume the Terraform role: your CI role or SSO role."
  type        = list(string)

  validation {
    condition     = length(var.trusted_principal_arns) > 0 && alltrue([for arn in var.trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", arn))])
    error_message = "trusted_principal_arns must list at least one IAM ARN of the form arn:aws:iam::<12 digits>:root, :role/<name> or :user/<name>."
  }
}

variable "role_name" {
  description = "Name of the role Terraform assumes in this account. Empty means <project>-terraform."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
