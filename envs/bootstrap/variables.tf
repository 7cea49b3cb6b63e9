variable "project" {
  description = "Project name; must be the same in every env."
  type        = string
}

variable "region" {
  description = "AWS region of the state bucket and of every account's provider."
  type        = string
  default     = "us-east-1"
}

variable "accounts" {
  description = "Account ids: tooling (state bucket, registry) and the stages."
  type = object({
    tooling = string
    dev     = string
    staging = string
    prod    = string
  })

  validation {
    condition     = alltrue([for id in values(var.accounts) : can(regex("^[0-9]{12}$", id))]) && length(distinct(values(var.accounts))) == 4
    error_message = "accounts.tooling, .dev, .staging and .prod must be four distinct 12-digit account ids."
  }
}

variable "bootstrap_role_name" {
  description = "Administrator role the bootstrap assumes in each account (AWS Organizations creates OrganizationAccountAccessRole in member accounts)."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "trusted_principal_arns" {
  description = "Exact principals that may assume the <project>-terraform roles: the role your CI or your SSO session runs as."
  type        = list(string)
}

variable "state_bucket_force_destroy" {
  description = "Allow destroying the state bucket while it holds state (teardown only)."
  type        = bool
  default     = false
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the state KMS key is deleted after destroy."
  type        = number
  default     = 30
}

variable "aws_endpoint_url" {
  description = "Local sandbox URL (for example http://127.0.0.1:5055). Empty, the default, means real AWS."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource (the provider adds Project and ManagedBy)."
  type        = map(string)
  default     = {}
}
