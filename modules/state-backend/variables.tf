variable "project" {
  description = "Project name: the bucket is <project>-tfstate-<account id>, the key alias alias/<project>-tfstate."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.project))
    error_message = "project (the platform name) must be 2-32 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "terraform_role_arn" {
  description = "The Terraform role of this account (modules/terraform-role): with whoever bootstraps and the account root, the only principal that may read or write state objects."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.terraform_role_arn))
    error_message = "terraform_role_arn must be an IAM role ARN: arn:aws:iam::<12 digits>:role/<name>."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket while it holds state (teardown only)."
  type        = bool
  default     = false
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the state key is deleted after destroy (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten state version is kept."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
