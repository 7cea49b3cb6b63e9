variable "platform" {
  description = "Platform name: names what the models share, <platform>-artifacts-<account>, alias/<platform>-registry, <platform>-ledger and <platform>-registry-events-forward. The models' role names start with <platform>- (modules/catalog)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{1,40}$", var.platform))
    error_message = "platform must match ^[a-z0-9-]{1,40}$ (lowercase letters, digits and hyphens, 1 to 40 characters)."
  }
}

variable "stages" {
  description = "Ordered delivery stages (their accounts: the models' roles there may read artifacts; their buses receive forwarded events). region defaults to the region of this provider."
  type = list(object({
    name       = string
    account_id = string
    region     = optional(string, "")
  }))

  validation {
    condition     = length(var.stages) > 0
    error_message = "stages must list at least one stage, e.g. [{ name = \"dev\", account_id = \"222222222222\" }]."
  }

  validation {
    condition     = alltrue([for s in var.stages : can(regex("^[a-z0-9-]{1,20}$", s.name))])
    error_message = "Every stage name must match ^[a-z0-9-]{1,20}$ (lowercase letters, digits and hyphens, 1 to 20 characters)."
  }

  validation {
    condition     = alltrue([for s in var.stages : can(regex("^[0-9]{12}$", s.account_id))])
    error_message = "Every stage account_id must be a 12-digit AWS account id."
  }

  validation {
    condition     = length(distinct([for s in var.stages : s.name])) == length(var.stages)
    error_message = "Stage names must be unique."
  }

  validation {
    condition     = alltrue([for s in var.stages : s.region == "" || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", s.region))])
    error_message = "Every stage region must be empty (this provider's region) or an AWS region name such as us-east-1."
  }

}

variable "organization_id" {
  description = "AWS Organizations id (o-xxxxxxxxxx). When set, every cross-account grant also requires aws:PrincipalOrgID. Empty disables the condition."
  type        = string
  default     = ""

  validation {
    condition     = var.organization_id == "" || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must be empty or match ^o-[a-z0-9]{10,32}$."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the registry KMS key is deleted after destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "artifact_bucket_force_destroy" {
  description = "Allow destroying the artifact bucket while it still holds objects. Keep false outside test accounts."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions in the artifact bucket expire."
  type        = number
  default     = 365

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650
    error_message = "noncurrent_version_expiration_days must be between 1 and 3650."
  }
}

variable "ledger_deletion_protection" {
  description = "Enable deletion protection on the ledger table."
  type        = bool
  default     = true
}

variable "ecr_repository_names" {
  description = "Names of existing ECR repositories in this account that hold the inference images; each gets a repository policy that lets the stage execution roles pull (BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability). Empty manages no repository policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.ecr_repository_names : can(regex("^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$", n)) && length(n) >= 2 && length(n) <= 256])
    error_message = "Every ecr_repository_names entry must be an ECR repository name: 2 to 256 characters of lowercase letters, digits and . _ - separators, optionally with / namespaces (for example churn-inference or ml/churn-inference)."
  }

  validation {
    condition     = length(distinct(var.ecr_repository_names)) == length(var.ecr_repository_names)
    error_message = "ecr_repository_names must not repeat a repository."
  }
}

variable "producer_role_arns" {
  description = "Roles in training (producer) accounts that write model artifacts under models/ in the artifact bucket with the registry key (the models' groups let them register versions: modules/registry-model producer_role_arns). Exact role ARNs, not accounts: the grants name these principals only. Each role also needs the same actions in its own account's IAM policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.producer_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", arn))])
    error_message = "Every producer_role_arns entry must be an IAM role ARN: arn:<partition>:iam::<12-digit account id>:role/<name>."
  }

  validation {
    condition     = length(distinct(var.producer_role_arns)) == length(var.producer_role_arns)
    error_message = "producer_role_arns must not repeat a role."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
