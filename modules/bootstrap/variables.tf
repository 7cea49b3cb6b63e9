variable "project" {
  description = "Project name: the prefix of every resource the Terraform role may manage (<project>-*)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "project must be 3-32 characters: lowercase letters, digits and hyphens, starting with a letter."
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

variable "state_backend" {
  description = "Create the Terraform state bucket and its KMS key here (the tooling account only). state_role_arns are the Terraform roles of the other accounts that may use it (empty: only this account's role)."
  type = object({
    enabled                     = optional(bool, false)
    force_destroy               = optional(bool, false)
    kms_deletion_window_in_days = optional(number, 30)
    noncurrent_version_days     = optional(number, 90)
  })
  default = {}

  validation {
    condition     = var.state_backend.kms_deletion_window_in_days >= 7 && var.state_backend.kms_deletion_window_in_days <= 30
    error_message = "state_backend.kms_deletion_window_in_days must be between 7 and 30."
  }

  validation {
    condition     = var.state_backend.noncurrent_version_days >= 1
    error_message = "state_backend.noncurrent_version_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
