variable "platform" {
  description = "Platform name (modules/registry's platform). Informational here: the shared resources' ARNs come in as inputs."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.platform))
    error_message = "platform must match ^[a-z][a-z0-9-]{0,39}$."
  }
}

variable "model" {
  description = "Model name (its key in the platform's models map): the ledger keys of its deployer roles carry it (MODEL#<model>#...)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,29}$", var.model))
    error_message = "model must match ^[a-z][a-z0-9-]{0,29}$ (a lowercase letter, then up to 29 lowercase letters, digits and hyphens)."
  }
}

variable "prefix" {
  description = "Resource name prefix of the model (modules/catalog): names the model package group and the deployer roles (<prefix>-deployer-<stage>), and is the stage module's project in every stage account."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.prefix))
    error_message = "prefix must match ^[a-z][a-z0-9-]{0,39}$ (lowercase letters, digits and hyphens, at most 40 characters)."
  }
}

variable "description" {
  description = "Description of the model package group. SageMaker cannot change it: a new description replaces the group (which AWS refuses while it holds versions), so set it once."
  type        = string
  default     = "Model versions delivered across accounts by the deployer."
  nullable    = false
}

variable "stages" {
  description = "Ordered delivery stages. The first stage receives the forwarded model approval events; each stage gets a deployer role that its CodeBuild role may assume. region defaults to the region of this provider."
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

variable "ledger_table_arn" {
  description = "ARN of the platform's ledger table (modules/registry output ledger_table_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}$", var.ledger_table_arn))
    error_message = "ledger_table_arn must be a DynamoDB table ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the platform's registry KMS key (modules/registry output kms_key_arn): the ledger's encryption key."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>)."
  }
}

variable "artifact_bucket_arn" {
  description = "ARN of the platform's artifact bucket (modules/registry output artifact_bucket_arn): the deployer roles read the model-quality metrics documents that versions register (ModelMetrics) under its models/ prefix, for the metric gate."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifact_bucket_arn))
    error_message = "artifact_bucket_arn must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>)."
  }
}

variable "events_forward_role_arn" {
  description = "ARN of the platform's event forwarding role (modules/registry output events_forward_role_arn), which the rules use to put events on the stage buses."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", var.events_forward_role_arn))
    error_message = "events_forward_role_arn must be an IAM role ARN."
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

variable "producer_role_arns" {
  description = "Roles in training (producer) accounts that register model versions into the group. Each may create versions (Pending or Rejected, never Approved unless producers_can_approve), read the group, and write artifacts under models/ in the artifact bucket with the registry key. Exact role ARNs, not accounts: the grants name these principals only. Each role also needs the same actions in its own account's IAM policy."
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

variable "producers_can_approve" {
  description = "Let the producer roles approve versions (create them Approved, or change their approval status). Off by default: approval is the tooling account's decision, and an approval starts the first stage."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}
