################################################################################
# The platform (../platform.tfvars, shared with envs/tooling)
################################################################################

variable "platform" {
  description = "Platform name: the <platform>-terraform role this root assumes, and the shared tooling names (<platform>-ledger, <platform>-artifacts-<tooling id>, alias/<platform>-registry). Every model's prefix starts with <platform>-."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.platform))
    error_message = "platform must match ^[a-z][a-z0-9-]{0,19}$ (a lowercase letter, then lowercase letters, digits and hyphens; at most 20 characters)."
  }
}

variable "region" {
  description = "AWS region of the tooling account, and of every stage that sets no region of its own."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "tooling_account_id" {
  description = "Tooling account id (registry, artifacts, ledger, deployer roles)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.tooling_account_id))
    error_message = "tooling_account_id must be a 12-digit AWS account id."
  }
}

variable "stages" {
  description = "The platform's stages in promotion order: name, account_id, region (optional; empty: region) and requires_approval (manual approval before Deploy; default false). Each stage's previous and next stage come from this order."
  type = list(object({
    name              = string
    account_id        = string
    region            = optional(string, "")
    requires_approval = optional(bool, false)
  }))

  validation {
    condition     = length(var.stages) > 0 && length(distinct([for s in var.stages : s.name])) == length(var.stages)
    error_message = "stages must name at least one stage, each once."
  }

  validation {
    condition     = alltrue([for s in var.stages : can(regex("^[a-z0-9-]{1,20}$", s.name)) && can(regex("^[0-9]{12}$", s.account_id))])
    error_message = "Every stage needs a name matching ^[a-z0-9-]{1,20}$ and a 12-digit account_id: ${join(", ", [for s in var.stages : s.name if !(can(regex("^[a-z0-9-]{1,20}$", s.name)) && can(regex("^[0-9]{12}$", s.account_id)))])}."
  }
}

variable "models" {
  description = "The platform's models: model name => { description, prefix (optional; default <platform>-<model>), stages = { <stage> = overrides of this stage file's endpoint, data_capture, deployment, autoscaling and alarms } }. modules/catalog types and validates it at plan."
  type        = any

  validation {
    condition     = can(keys(var.models)) && length(var.models) > 0
    error_message = "models must be a map of at least one model (name => { description, prefix, stages })."
  }

  # A typo in a per-stage override would otherwise be dropped silently: name it (the catalog checks the rest).
  validation {
    condition = length(flatten([
      for model, m in var.models : [
        for stage, o in try(m.stages, {}) : [
          for section, values in o : [
            for field in try(keys(values), ["?"]) : field
            if !contains(try(keys({ endpoint = var.endpoint, data_capture = var.data_capture, deployment = var.deployment, autoscaling = var.autoscaling, alarms = var.alarms }[section]), []), field)
          ]
        ]
      ]
    ])) == 0
    error_message = "Unknown per-stage override in models: ${join(", ", flatten([
      for model, m in var.models : [
        for stage, o in try(m.stages, {}) : [
          for section, values in o : [
            for field in try(keys(values), ["?"]) : "models.${model}.stages.${stage}.${section}.${field}"
            if !contains(try(keys({ endpoint = var.endpoint, data_capture = var.data_capture, deployment = var.deployment, autoscaling = var.autoscaling, alarms = var.alarms }[section]), []), field)
          ]
        ]
      ]
    ]))} (the sections are endpoint, data_capture, deployment, autoscaling and alarms, with the fields of this root's variables of those names)."
  }
}

variable "quotas" {
  description = "Per-account AWS quotas the models map is checked against (modules/catalog), as in envs/tooling: set them in ../platform.tfvars so both roots check the same; raise after AWS raised them."
  type = object({
    event_buses_per_account = optional(number, 100)
    rules_per_event_bus     = optional(number, 300)
    pipelines_per_region    = optional(number, 1000)
    iam_roles_per_account   = optional(number, 1000)
  })
  default = {}
}

variable "tags" {
  description = "Tags for every resource (the provider adds Project = platform, Environment = stage and ManagedBy)."
  type        = map(string)
  default     = {}
}

################################################################################
# This stage (<stage>.tfvars: its name and its defaults for every model)
################################################################################

variable "stage" {
  description = "The stage this run applies (one of the platform's stages); its account, neighbours and requires_approval come from stages."
  type        = string

  validation {
    condition     = contains([for s in var.stages : s.name], var.stage)
    error_message = "stage \"${var.stage}\" is not one of the platform's stages (${join(", ", [for s in var.stages : s.name])})."
  }
}

variable "terraform_role_name" {
  description = "Role Terraform assumes in the stage's account. Empty means <platform>-terraform, the role envs/bootstrap creates."
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

variable "registry_kms_key_arn" {
  description = "Registry KMS key ARN from the tooling outputs; empty grants through the alias alias/<platform>-registry."
  type        = string
  default     = ""
}

variable "seed_python" {
  description = "Python interpreter that can import the deployer (runs `python -m deployer seed-repo` when seed_mode is local-exec)."
  type        = string
  default     = "python3"
}

variable "deployer_wheel_path" {
  description = "Path of the deployer wheel uploaded for CodeBuild. Empty uploads nothing."
  type        = string
  default     = ""
}

variable "notification_email" {
  description = "Email for pipeline failures, alarms and approval requests. Empty creates no topic."
  type        = string
  default     = ""
}

variable "endpoint" {
  description = "This stage's endpoint instance settings for every model (a model's stages.<stage>.endpoint overrides them)."
  type = object({
    instance_type  = optional(string, "ml.m5.large")
    instance_count = optional(number, 1)
  })
  default = {}
}

variable "data_capture" {
  description = "This stage's data capture settings for every model (overridable per model)."
  type = object({
    enabled             = optional(bool, true)
    sampling_percentage = optional(number, 20)
  })
  default = {}
}

variable "deployment" {
  description = "This stage's rollout settings for every model (overridable per model)."
  type = object({
    strategy                      = optional(string, "canary")
    step_type                     = optional(string, "CAPACITY_PERCENT")
    step_value                    = optional(number, 50)
    wait_seconds                  = optional(number, 300)
    termination_wait_seconds      = optional(number, 60)
    max_execution_timeout_seconds = optional(number, 1800)
  })
  default = {}
}

variable "autoscaling" {
  description = "This stage's autoscaling settings for every model (overridable per model)."
  type = object({
    enabled                         = optional(bool, true)
    min_capacity                    = optional(number, 1)
    max_capacity                    = optional(number, 2)
    target_invocations_per_instance = optional(number, 100)
  })
  default = {}
}

variable "alarms" {
  description = "This stage's guardrail alarm thresholds for every model (overridable per model)."
  type = object({
    invocation_5xx_threshold             = optional(number, 1)
    model_latency_threshold_microseconds = optional(number, 1000000)
    period_seconds                       = optional(number, 60)
    evaluation_periods                   = optional(number, 2)
  })
  default = {}
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the stage KMS key is deleted after destroy."
  type        = number
  default     = 30
}

variable "force_destroy_buckets" {
  description = "Allow destroying the stage buckets while they hold objects."
  type        = bool
  default     = false
}

variable "ecr_repository_arns" {
  description = "ECR repositories the SageMaker execution role may pull inference images from, e.g. the tooling account's arn:aws:ecr:us-east-1:111111111111:repository/ml-churn-inference (its repository policy comes from envs/tooling ecr_repository_names). Empty allows any repository in this region (SageMaker's prebuilt images live in AWS-owned accounts)."
  type        = list(string)
  default     = []
}

variable "vpc" {
  description = "Optional VPC for the endpoint's models and (unless codebuild = false) the stage's CodeBuild projects: vpc_id, 1-16 subnet_ids, 1-5 security_group_ids, endpoint_network_isolation (default false). null (default) uses no VPC. Private subnets without an internet route need the VPC endpoints in docs/vpc.md."
  type = object({
    vpc_id                     = string
    subnet_ids                 = list(string)
    security_group_ids         = list(string)
    endpoint_network_isolation = optional(bool, false)
    codebuild                  = optional(bool, true)
  })
  default = null
}

variable "source_provider" {
  description = "Where the pipeline source lives: codecommit (a repository created and seeded here) or codeconnections (your GitHub, GitLab or Bitbucket repository through a connection; see docs/codeconnections.md)."
  type        = string
  default     = "codecommit"
}

variable "source_connection" {
  description = "With codeconnections: full_repository_id (owner/name), branch, and either connection_arn (an existing connection) or create = true (this root creates one, PENDING until completed in the console) with provider_type (Bitbucket, GitHub, GitLab; GitHubEnterpriseServer and GitLabSelfManaged with host_arn) and an optional name."
  type = object({
    connection_arn     = optional(string, "")
    full_repository_id = optional(string, "")
    branch             = optional(string, "main")
    create             = optional(bool, false)
    name               = optional(string, "")
    provider_type      = optional(string, "GitHub")
    host_arn           = optional(string, "")
  })
  default = {}
}

variable "seed_mode" {
  description = "How the stage repository gets its first files: local-exec (Terraform runs seed_python -m deployer seed-repo) or none (an empty repository; push seed/ yourself, see seed/README.md)."
  type        = string
  default     = "local-exec"
}

variable "deployer_lock_path" {
  description = "Hash-pinned lock of the deployer's dependencies uploaded with the wheel (docs/supply-chain.md). Empty: requirements.lock beside deployer_wheel_path (make wheel puts it there)."
  type        = string
  default     = ""
}

variable "deployer_dependencies" {
  description = "Where CodeBuild gets the locked dependencies: \"pypi\" (the image's package index, hash-checked) or \"bundled\" (deployer_wheelhouse_dir uploaded to the artifact bucket; no internet needed)."
  type        = string
  default     = "pypi"

  validation {
    condition     = contains(["pypi", "bundled"], var.deployer_dependencies)
    error_message = "deployer_dependencies must be \"pypi\" or \"bundled\"."
  }
}

variable "deployer_wheelhouse_dir" {
  description = "With deployer_dependencies = \"bundled\": directory of the locked dependency wheels (make wheelhouse writes .build/wheelhouse)."
  type        = string
  default     = ""
}
