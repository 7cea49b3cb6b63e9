variable "platform" {
  description = "Platform name (envs/platform.tfvars): names the shared resources and the Terraform role <platform>-terraform; every model's names start with <platform>-."
  type        = string
}

variable "region" {
  description = "AWS region of this account's resources."
  type        = string
  default     = "us-east-1"
}

variable "tooling_account_id" {
  description = "Tooling account id (envs/platform.tfvars); the provider refuses any other."
  type        = string
}

variable "terraform_role_arn" {
  description = "Role Terraform assumes in the tooling account. Empty means arn:aws:iam::<tooling_account_id>:role/<platform>-terraform, the role envs/bootstrap creates."
  type        = string
  default     = ""
}

variable "aws_endpoint_url" {
  description = "Local sandbox URL (for example http://127.0.0.1:5055). Empty, the default, means real AWS."
  type        = string
  default     = ""
}

variable "organization_id" {
  description = "AWS Organizations id added as aws:PrincipalOrgID to cross-account grants. Empty disables it."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource (the provider adds Project, Environment and ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "stages" {
  description = "Ordered delivery stages (envs/platform.tfvars): name, account_id, optional region and requires_approval. The first receives the approval events."
  type = list(object({
    name              = string
    account_id        = string
    region            = optional(string, "")
    requires_approval = optional(bool, false)
  }))
}

variable "models" {
  description = "The platform's models (envs/platform.tfvars), checked by modules/catalog: each gets its model package group, its deployer role per stage and its forwarding rules here."
  type        = any
}

variable "quotas" {
  description = "Per-account AWS quotas the models map is checked against (modules/catalog); raise after AWS raised them."
  type = object({
    event_buses_per_account = optional(number, 100)
    rules_per_event_bus     = optional(number, 300)
    pipelines_per_region    = optional(number, 1000)
    iam_roles_per_account   = optional(number, 1000)
  })
  default = {}
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the registry KMS key is deleted after destroy."
  type        = number
  default     = 30
}

variable "artifact_bucket_force_destroy" {
  description = "Allow destroying the artifact bucket while it holds objects."
  type        = bool
  default     = false
}

variable "ledger_deletion_protection" {
  description = "Deletion protection on the ledger table."
  type        = bool
  default     = true
}

variable "ecr_repository_names" {
  description = "Existing ECR repositories in this account holding the inference images; each gets a policy letting the stage execution roles pull. Empty manages none."
  type        = list(string)
  default     = []
}

variable "producer_role_arns" {
  description = "Roles in training accounts that register model versions into the group (never approve them unless producers_can_approve). Validated by the registry module."
  type        = list(string)
  default     = []
}

variable "producers_can_approve" {
  description = "Let the producer roles approve versions. Off by default: approval stays with the tooling account."
  type        = bool
  default     = false
}
