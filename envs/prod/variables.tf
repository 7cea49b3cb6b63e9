variable "project" {
  description = "Project name; must be the same in every env."
  type        = string
}

variable "region" {
  description = "AWS region of this account's resources."
  type        = string
  default     = "us-east-1"
}

variable "account_id" {
  description = "Account id this root applies to (the provider refuses any other)."
  type        = string
}

variable "terraform_role_arn" {
  description = "Role Terraform assumes in account_id. Empty means arn:aws:iam::<account_id>:role/<project>-terraform, the role envs/bootstrap creates."
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

variable "stage" {
  description = "Stage name of this account."
  type        = string
}

variable "tooling_account_id" {
  description = "Tooling account id (registry, artifacts, ledger, deployer roles)."
  type        = string
}

variable "registry_kms_key_arn" {
  description = "Registry KMS key ARN from the tooling outputs; empty grants through the alias alias/<project>-registry."
  type        = string
  default     = ""
}

variable "previous_stage" {
  description = "Previous stage name; empty for the first stage."
  type        = string
  default     = ""
}

variable "previous_stage_account_id" {
  description = "Previous stage account id; empty for the first stage."
  type        = string
  default     = ""
}

variable "next_stage" {
  description = "Next stage name; empty for the last stage."
  type        = string
  default     = ""
}

variable "next_stage_account_id" {
  description = "Next stage account id (its bus is <project>-<next_stage>); empty for the last stage."
  type        = string
  default     = ""
}

variable "requires_approval" {
  description = "Manual approval before Deploy."
  type        = bool
  default     = false
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
  description = "Endpoint instance settings for the stage config."
  type = object({
    instance_type  = optional(string, "ml.m5.large")
    instance_count = optional(number, 1)
  })
  default = {}
}

variable "data_capture" {
  description = "Data capture settings for the stage config."
  type = object({
    enabled             = optional(bool, true)
    sampling_percentage = optional(number, 20)
  })
  default = {}
}

variable "deployment" {
  description = "Rollout settings for the stage config."
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
  description = "Autoscaling settings for the stage config."
  type = object({
    enabled                         = optional(bool, true)
    min_capacity                    = optional(number, 1)
    max_capacity                    = optional(number, 2)
    target_invocations_per_instance = optional(number, 100)
  })
  default = {}
}

variable "alarms" {
  description = "Guardrail alarm thresholds."
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
  description = "ECR repositories the SageMaker execution role may pull inference images from, e.g. the tooling account's arn:aws:ecr:us-east-1:111111111111:repository/churn-inference (its repository policy comes from envs/tooling ecr_repository_names). Empty allows any repository in this region (SageMaker's prebuilt images live in AWS-owned accounts)."
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
