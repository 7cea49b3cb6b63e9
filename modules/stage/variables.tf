################################################################################
# Identity and neighbours
################################################################################

variable "project" {
  description = "Resource name prefix of this model (the registry module's model prefix: its model package group name). Prefixes every resource of this module."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{1,40}$", var.project))
    error_message = "project must match ^[a-z0-9-]{1,40}$ (lowercase letters, digits and hyphens, 1 to 40 characters)."
  }
}

variable "platform" {
  description = "Name of the platform (the tooling registry module's platform): names the shared tooling resources this model uses, <platform>-ledger, <platform>-artifacts-<account>, alias/<platform>-registry and <platform>-registry-events-forward. Empty means project (a single-model installation)."
  type        = string
  default     = ""

  validation {
    condition     = var.platform == "" || can(regex("^[a-z0-9-]{1,40}$", var.platform))
    error_message = "platform must be empty or match ^[a-z0-9-]{1,40}$ (lowercase letters, digits and hyphens, 1 to 40 characters)."
  }
}

variable "model" {
  description = "Name of the model (its key in the platform's models map): the platform config's model, which the deployer puts in ledger keys and events. Empty means project."
  type        = string
  default     = ""

  validation {
    condition     = var.model == "" || can(regex("^[a-z0-9-]{1,40}$", var.model))
    error_message = "model must be empty or match ^[a-z0-9-]{1,40}$ (lowercase letters, digits and hyphens, 1 to 40 characters)."
  }
}

variable "stage" {
  description = "Name of this stage (for example dev, staging or prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{1,20}$", var.stage))
    error_message = "stage must match ^[a-z0-9-]{1,20}$ (lowercase letters, digits and hyphens, 1 to 20 characters)."
  }

  # IAM role names have at most 64 characters; the longest this module makes is <project>-<stage>-sagemaker-execution.
  validation {
    condition     = length("${var.project}-${var.stage}-sagemaker-execution") <= 64
    error_message = "IAM role names are limited to 64 characters, and this module names roles <project>-<stage>-codebuild, -codebuild-test, -pipeline, -events and -sagemaker-execution: project and stage together may have at most 43 characters (${var.project}-${var.stage}-sagemaker-execution has ${length("${var.project}-${var.stage}-sagemaker-execution")})."
  }

  # S3 bucket names have at most 63 characters (<project>-<stage>-data-capture-<12-digit account id> is the
  # longest), EventBridge rule names 64 (<project>-<stage>-previous-stage-verified).
  validation {
    condition     = length("${var.project}-${var.stage}-data-capture-123456789012") <= 63 && length("${var.project}-${var.stage}-previous-stage-verified") <= 64
    error_message = "S3 bucket names are limited to 63 characters (<project>-<stage>-data-capture-<account id>) and EventBridge rule names to 64 (<project>-<stage>-previous-stage-verified): project and stage together may have at most 35 characters (now ${length(var.project) + length(var.stage)})."
  }
}

variable "previous_stage" {
  description = "Name of the stage before this one; empty for the first stage (which is triggered by the registry instead)."
  type        = string
  default     = ""

  validation {
    condition     = var.previous_stage == "" || can(regex("^[a-z0-9-]{1,20}$", var.previous_stage))
    error_message = "previous_stage must be empty or match ^[a-z0-9-]{1,20}$."
  }
}

variable "previous_stage_account_id" {
  description = "Account id of the previous stage, allowed to put events on this stage's bus. Required when previous_stage is set."
  type        = string
  default     = ""

  validation {
    condition     = var.previous_stage_account_id == "" || can(regex("^[0-9]{12}$", var.previous_stage_account_id))
    error_message = "previous_stage_account_id must be empty or a 12-digit AWS account id."
  }

  validation {
    condition     = var.previous_stage == "" || var.previous_stage_account_id != ""
    error_message = "previous_stage_account_id is required when previous_stage is set."
  }
}

variable "next_stage" {
  description = "Name of the stage after this one; empty for the last stage."
  type        = string
  default     = ""

  validation {
    condition     = var.next_stage == "" || can(regex("^[a-z0-9-]{1,20}$", var.next_stage))
    error_message = "next_stage must be empty or match ^[a-z0-9-]{1,20}$."
  }
}

variable "next_stage_event_bus_arn" {
  description = "ARN of the next stage's event bus; this stage's CodeBuild role may PutEvents on exactly this bus. Empty for the last stage."
  type        = string
  default     = ""

  validation {
    condition     = var.next_stage_event_bus_arn == "" || can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._-]+$", var.next_stage_event_bus_arn))
    error_message = "next_stage_event_bus_arn must be empty or an event bus ARN (arn:<partition>:events:<region>:<account id>:event-bus/<name>)."
  }

  validation {
    condition     = (var.next_stage == "") == (var.next_stage_event_bus_arn == "")
    error_message = "next_stage and next_stage_event_bus_arn must be both set or both empty."
  }
}

variable "tooling_account_id" {
  description = "Account id of the tooling account that holds the registry, the artifact bucket, the ledger and the deployer roles."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.tooling_account_id))
    error_message = "tooling_account_id must be a 12-digit AWS account id."
  }
}

variable "registry_region" {
  description = "Region of the registry in the tooling account. Empty means this provider's region."
  type        = string
  default     = ""

  validation {
    condition     = var.registry_region == "" || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.registry_region))
    error_message = "registry_region must be empty or an AWS region name such as us-east-1."
  }
}

variable "registry_kms_key_arn" {
  description = "ARN of the tooling registry KMS key. Empty grants use of the key through its alias alias/<project>-registry (kms:ResourceAliases condition), so no cross-state lookup is needed."
  type        = string
  default     = ""

  validation {
    condition     = var.registry_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.registry_kms_key_arn))
    error_message = "registry_kms_key_arn must be empty or a KMS key ARN (arn:<partition>:kms:<region>:<account id>:key/<id>)."
  }
}

variable "organization_id" {
  description = "AWS Organizations id. When set, the event bus policy also requires aws:PrincipalOrgID. Empty disables the condition."
  type        = string
  default     = ""

  validation {
    condition     = var.organization_id == "" || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must be empty or match ^o-[a-z0-9]{10,32}$."
  }
}

variable "requires_approval" {
  description = "Add a manual approval stage before Deploy. null means true for a stage named prod and false otherwise."
  type        = bool
  default     = null
}

################################################################################
# Source and seeding
################################################################################

variable "source_provider" {
  description = "Where the pipeline source lives: codecommit (a repository created here and seeded by Terraform) or codeconnections (an external repository through a CodeConnections connection)."
  type        = string
  default     = "codecommit"

  validation {
    condition     = contains(["codecommit", "codeconnections"], var.source_provider)
    error_message = "source_provider must be one of: codecommit, codeconnections."
  }
}

variable "source_connection" {
  description = "CodeConnections source, used when source_provider is codeconnections: an existing connection_arn, or create = true to create one here (it starts PENDING until an admin completes it in the console; see docs/codeconnections.md); full repository id (owner/name) and branch. name defaults to <project>-<stage>; provider_type is for cloud providers, host_arn for installed ones (GitHub Enterprise Server, GitLab self-managed)."
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

  validation {
    condition     = var.source_connection.connection_arn == "" || can(regex("^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:connection/[a-zA-Z0-9-]+$", var.source_connection.connection_arn))
    error_message = "source_connection.connection_arn must be empty or a codeconnections or codestar-connections connection ARN."
  }

  validation {
    condition     = var.source_connection.full_repository_id == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+$", var.source_connection.full_repository_id))
    error_message = "source_connection.full_repository_id must be empty or <owner>/<repository>."
  }

  validation {
    condition     = var.source_provider != "codeconnections" || ((var.source_connection.connection_arn != "") != var.source_connection.create && var.source_connection.full_repository_id != "")
    error_message = "source_connection: when source_provider is codeconnections, full_repository_id is required, and exactly one of connection_arn (an existing connection) or create = true (create one here)."
  }

  validation {
    condition     = contains(["Bitbucket", "GitHub", "GitHubEnterpriseServer", "GitLab", "GitLabSelfManaged"], var.source_connection.provider_type)
    error_message = "source_connection.provider_type must be one of: Bitbucket, GitHub, GitHubEnterpriseServer, GitLab, GitLabSelfManaged."
  }

  validation {
    condition     = var.source_connection.host_arn == "" || can(regex("^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:host/[A-Za-z0-9_.-]+$", var.source_connection.host_arn))
    error_message = "source_connection.host_arn must be empty or a connections host ARN (arn:<partition>:codestar-connections:<region>:<account id>:host/<name>-<id>)."
  }

  # Installed providers connect through a host; cloud providers have none.
  validation {
    condition     = !var.source_connection.create || (var.source_connection.host_arn != "") == contains(["GitHubEnterpriseServer", "GitLabSelfManaged"], var.source_connection.provider_type)
    error_message = "source_connection: provider_type GitHubEnterpriseServer and GitLabSelfManaged need host_arn; Bitbucket, GitHub and GitLab take no host_arn."
  }

  validation {
    condition     = !var.source_connection.create || can(regex("^[A-Za-z0-9_.-]{1,32}$", coalesce(var.source_connection.name, "${var.project}-${var.stage}")))
    error_message = "source_connection.name (default <project>-<stage>, here ${var.project}-${var.stage}) must be 1 to 32 characters of letters, digits, _ . and -."
  }
}

variable "repository_branch" {
  description = "Branch of the CodeCommit repository that the pipeline builds and that the seed lands on."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,100}$", var.repository_branch))
    error_message = "repository_branch must match ^[A-Za-z0-9._/-]{1,100}$."
  }
}

variable "seed_dir" {
  description = "Absolute path of the directory copied into the stage repository (buildspecs, smoke tests, config/stage.json.example as config/<stage>.json). Required when seed_mode is local-exec."
  type        = string
  default     = ""

  validation {
    condition     = var.seed_dir == "" || length(fileset(var.seed_dir, "**")) > 0
    error_message = "seed_dir must be empty or a directory holding at least one file."
  }
}

variable "seed_python" {
  description = "Python interpreter that can import the deployer package, where Terraform runs; runs the seed-repo command when seed_mode is local-exec."
  type        = string
  default     = "python3"
}

variable "seed_role_arn" {
  description = "Role the seed command assumes so the commit lands in this stage's account (normally the role Terraform assumed). Empty uses the current credentials."
  type        = string
  default     = ""

  validation {
    condition     = var.seed_role_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.seed_role_arn))
    error_message = "seed_role_arn must be empty or an IAM role ARN."
  }
}

variable "deployer_wheel_path" {
  description = "Local path of the deployer wheel uploaded to the pipeline artifact bucket and pip-installed by the buildspecs (DEPLOYER_WHEEL_S3_URI). Empty uploads nothing and leaves DEPLOYER_WHEEL_S3_URI empty."
  type        = string
  default     = ""

  validation {
    condition     = var.deployer_wheel_path == "" || can(regex("\\.whl$", var.deployer_wheel_path))
    error_message = "deployer_wheel_path must be empty or the path of a .whl file."
  }

  # The S3 key carries <distribution>-<version> from the file name, and pip needs a valid wheel name.
  validation {
    condition     = var.deployer_wheel_path == "" || can(regex("^[A-Za-z0-9_.]+-[A-Za-z0-9_.!+]+(-[0-9][A-Za-z0-9_.]*)?-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+\\.whl$", basename(var.deployer_wheel_path)))
    error_message = "deployer_wheel_path must name a wheel file <distribution>-<version>-<python tag>-<abi tag>-<platform tag>.whl, for example mlops_deployer-0.1.0-py3-none-any.whl (make wheel builds it)."
  }
}

################################################################################
# Build
################################################################################

variable "test_buildspec" {
  description = "Path of the Test action's buildspec in the stage repository: the team's tests, run as the test role (describe and invoke this stage's endpoint, write its own reports). Deploy and Promote use platform buildspecs from Terraform."
  type        = string
  default     = "buildspecs/test.yml"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*\\.ya?ml$", var.test_buildspec)) && !strcontains(var.test_buildspec, "..")
    error_message = "test_buildspec must be a relative path of a .yml or .yaml file inside the repository (no leading slash, no ..), for example buildspecs/test.yml."
  }
}

variable "test_report_names" {
  description = "Names of the reports the Test buildspec declares (its reports: section). The test role may write exactly their report groups, <test project>-<name> (for example churn-dev-test-smoke)."
  type        = list(string)
  default     = ["smoke"]

  validation {
    condition     = alltrue([for r in var.test_report_names : can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", r))])
    error_message = "Every test_report_names entry must be 1 to 64 characters of letters, digits, - and _, starting with a letter or digit (for example smoke)."
  }
}

variable "codebuild" {
  description = "CodeBuild settings shared by the deploy and test projects."
  type = object({
    compute_type          = optional(string, "BUILD_GENERAL1_SMALL")
    image                 = optional(string, "aws/codebuild/standard:7.0")
    build_timeout_minutes = optional(number, 120)
  })
  default = {}

  validation {
    condition     = contains(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"], var.codebuild.compute_type)
    error_message = "codebuild.compute_type must be one of: BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM, BUILD_GENERAL1_LARGE."
  }

  validation {
    condition     = var.codebuild.build_timeout_minutes >= 5 && var.codebuild.build_timeout_minutes <= 2160
    error_message = "codebuild.build_timeout_minutes must be between 5 and 2160."
  }
}

variable "log_retention_days" {
  description = "Retention of the CodeBuild log groups."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

################################################################################
# Endpoint slot (the deployer creates the endpoint; these settings go into the stage config)
################################################################################

variable "endpoint" {
  description = "Endpoint instance settings written into the stage config."
  type = object({
    instance_type  = optional(string, "ml.m5.large")
    instance_count = optional(number, 2)
  })
  default = {}

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.endpoint.instance_type))
    error_message = "endpoint.instance_type must be a SageMaker instance type such as ml.m5.large."
  }

  validation {
    condition     = var.endpoint.instance_count >= 1 && var.endpoint.instance_count <= 100 && floor(var.endpoint.instance_count) == var.endpoint.instance_count
    error_message = "endpoint.instance_count must be a whole number between 1 and 100."
  }
}

variable "data_capture" {
  description = "Endpoint data capture settings written into the stage config (destination is this stage's data capture bucket)."
  type = object({
    enabled             = optional(bool, true)
    sampling_percentage = optional(number, 20)
  })
  default = {}

  validation {
    condition     = var.data_capture.sampling_percentage >= 0 && var.data_capture.sampling_percentage <= 100 && floor(var.data_capture.sampling_percentage) == var.data_capture.sampling_percentage
    error_message = "data_capture.sampling_percentage must be a whole number between 0 and 100."
  }
}

variable "deployment" {
  description = "Rollout settings written into the stage config."
  type = object({
    strategy                      = optional(string, "canary")
    step_type                     = optional(string, "CAPACITY_PERCENT")
    step_value                    = optional(number, 50)
    wait_seconds                  = optional(number, 300)
    termination_wait_seconds      = optional(number, 60)
    max_execution_timeout_seconds = optional(number, 1800)
    # Inf1 instances have no deployment guardrails (AWS falls back to all at once): the deployer refuses a
    # guarded strategy or rollback alarms there unless this is true.
    allow_unguarded_fallback = optional(bool, false)
  })
  default = {}

  # The strategy names and step limits are the deployer's (strategy_limits.tf, generated from its registry).
  validation {
    condition     = contains(local.deployment_strategies, var.deployment.strategy)
    error_message = "deployment.strategy must be one of: ${join(", ", local.deployment_strategies)}."
  }

  validation {
    condition     = contains(local.deployment_step_types, var.deployment.step_type)
    error_message = "deployment.step_type must be one of: ${join(", ", local.deployment_step_types)}."
  }

  validation {
    condition     = var.deployment.step_value >= 1 && floor(var.deployment.step_value) == var.deployment.step_value
    error_message = "deployment.step_value must be a whole number of at least 1."
  }

  validation {
    condition = !contains(keys(local.deployment_step_limits), var.deployment.strategy) ? true : (
      var.deployment.step_type == "CAPACITY_PERCENT"
      ? var.deployment.step_value >= local.deployment_step_limits[var.deployment.strategy].percent[0] && var.deployment.step_value <= local.deployment_step_limits[var.deployment.strategy].percent[1]
      : var.deployment.step_value >= max(1, ceil(var.endpoint.instance_count * local.deployment_step_limits[var.deployment.strategy].fleet_share[0] / 100)) && var.deployment.step_value <= floor(var.endpoint.instance_count * local.deployment_step_limits[var.deployment.strategy].fleet_share[1] / 100)
    )
    error_message = "deployment.step_value ${var.deployment.step_value} is out of range for a ${var.deployment.strategy} step of type ${var.deployment.step_type} (allowed: CAPACITY_PERCENT ${join("-", try(local.deployment_step_limits[var.deployment.strategy].percent, []))}, INSTANCE_COUNT ${join("-", try(local.deployment_step_limits[var.deployment.strategy].fleet_share, []))}% of endpoint.instance_count ${var.endpoint.instance_count})."
  }

  validation {
    condition     = alltrue([for v in [var.deployment.wait_seconds, var.deployment.termination_wait_seconds] : v >= 0 && v <= 3600 && floor(v) == v])
    error_message = "deployment.wait_seconds and deployment.termination_wait_seconds must be whole numbers between 0 and 3600."
  }

  validation {
    condition     = var.deployment.max_execution_timeout_seconds >= 600 && var.deployment.max_execution_timeout_seconds <= 28800 && floor(var.deployment.max_execution_timeout_seconds) == var.deployment.max_execution_timeout_seconds
    error_message = "deployment.max_execution_timeout_seconds must be a whole number between 600 and 28800."
  }
}

variable "autoscaling" {
  description = "Endpoint variant autoscaling settings written into the stage config (the deployer registers the scalable target)."
  type = object({
    enabled                         = optional(bool, true)
    min_capacity                    = optional(number, 1)
    max_capacity                    = optional(number, 2)
    target_invocations_per_instance = optional(number, 100)
  })
  default = {}

  validation {
    condition     = var.autoscaling.min_capacity >= 1 && var.autoscaling.max_capacity >= var.autoscaling.min_capacity
    error_message = "autoscaling.min_capacity must be at least 1 and autoscaling.max_capacity at least min_capacity."
  }

  # Application Auto Scaling's capacities are 32-bit integers; the account's instance quota applies below that.
  validation {
    condition     = alltrue([for v in [var.autoscaling.min_capacity, var.autoscaling.max_capacity] : floor(v) == v && v <= 2147483647])
    error_message = "autoscaling.min_capacity and autoscaling.max_capacity must be whole numbers up to 2147483647."
  }

  # Application Auto Scaling's TargetValue lies within -2^360 to 2^360.
  validation {
    condition     = var.autoscaling.target_invocations_per_instance > 0 && var.autoscaling.target_invocations_per_instance <= pow(2, 360)
    error_message = "autoscaling.target_invocations_per_instance must be greater than 0 and at most 2^360."
  }
}

variable "alarms" {
  description = "Guardrail alarms on the endpoint's AllTraffic variant, used as rollback alarms: Invocation5XXErrors (Sum) and ModelLatency (Average, microseconds)."
  type = object({
    invocation_5xx_threshold             = optional(number, 1)
    model_latency_threshold_microseconds = optional(number, 1000000)
    period_seconds                       = optional(number, 60)
    evaluation_periods                   = optional(number, 2)
  })
  default = {}

  validation {
    condition     = contains([10, 30, 60, 300, 900, 3600], var.alarms.period_seconds)
    error_message = "alarms.period_seconds must be one of: 10, 30, 60, 300, 900, 3600."
  }

  validation {
    condition     = var.alarms.evaluation_periods >= 1 && var.alarms.invocation_5xx_threshold >= 0 && var.alarms.model_latency_threshold_microseconds > 0
    error_message = "alarms.evaluation_periods must be at least 1, invocation_5xx_threshold at least 0 and model_latency_threshold_microseconds greater than 0."
  }
}

variable "smoke_tests_dir" {
  description = "Directory of the smoke tests inside the stage repository."
  type        = string
  default     = "tests/smoke"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.smoke_tests_dir)) && !strcontains(var.smoke_tests_dir, "..")
    error_message = "smoke_tests_dir must be a relative path inside the repository (no leading slash, no ..)."
  }
}

################################################################################
# Notifications, lifecycle, tags
################################################################################

variable "create_notification_topic" {
  description = "Create a KMS-encrypted SNS topic for pipeline failures, guardrail alarms and approval requests. Implied when notification_email is set."
  type        = bool
  default     = false
}

variable "notification_email" {
  description = "Email address subscribed to the notification topic. Empty subscribes nobody."
  type        = string
  default     = ""

  validation {
    condition     = var.notification_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notification_email))
    error_message = "notification_email must be empty or an email address."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the stage KMS key is deleted after destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "force_destroy_buckets" {
  description = "Allow destroying the pipeline artifact and data capture buckets while they hold objects. Keep false outside test accounts."
  type        = bool
  default     = false
}

variable "ecr_repository_arns" {
  description = "ECR repositories the execution role may pull inference images from. Empty allows any repository in this region (SageMaker's prebuilt images live in AWS-owned accounts)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-*]+:([0-9]{12}|\\*):repository/.+$", arn))])
    error_message = "ecr_repository_arns must contain ECR repository ARNs (arn:<partition>:ecr:<region>:<account id>:repository/<name>)."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default_tags) and written into the stage config for the deployer's SageMaker resources."
  type        = map(string)
  default     = {}

  # SageMaker's tag rules (botocore's TagKey and TagValue), as the deployer checks them in the stage config.
  validation {
    condition = alltrue([
      for k, v in var.tags : can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{1,128}$", k)) && can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{0,256}$", v))
    ])
    error_message = "tags: keys must be 1-128 and values 0-256 characters of letters, digits, spaces and _ . : / = + - @."
  }

  # aws: is AWS's own prefix; deployer: keys are the ones the deployer writes on its SageMaker resources.
  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(lower(k), "aws:") && !startswith(lower(k), "deployer:")])
    error_message = "tags: keys must not start with aws: or deployer: (reserved for AWS and for the deployer)."
  }

  validation {
    condition     = length(var.tags) <= 40
    error_message = "tags: at most 40 (SageMaker allows 50 per resource, the deployer adds its own)."
  }
}

################################################################################
# VPC (optional): endpoint models and CodeBuild projects in private subnets
################################################################################

variable "vpc" {
  description = "Run the endpoint's models (SageMaker VpcConfig, written into the stage config) and, unless codebuild is false, every CodeBuild project of the stage in these subnets and security groups. endpoint_network_isolation turns on the model containers' network isolation. null (default) uses no VPC. Subnets without an internet route need the VPC endpoints listed in docs/vpc.md."
  type = object({
    vpc_id                     = string
    subnet_ids                 = list(string)
    security_group_ids         = list(string)
    endpoint_network_isolation = optional(bool, false)
    codebuild                  = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.vpc == null || can(regex("^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", var.vpc.vpc_id))
    error_message = "vpc.vpc_id must be a VPC id: vpc- followed by 8 or 17 lowercase hex digits."
  }

  # SageMaker VpcConfig.Subnets and CodeBuild vpcConfig.subnets both allow 1-16.
  validation {
    condition     = var.vpc == null || (length(try(var.vpc.subnet_ids, [])) >= 1 && length(try(var.vpc.subnet_ids, [])) <= 16 && length(distinct(try(var.vpc.subnet_ids, []))) == length(try(var.vpc.subnet_ids, [])))
    error_message = "vpc.subnet_ids must hold 1 to 16 distinct subnet ids (SageMaker's and CodeBuild's limit)."
  }

  validation {
    condition     = var.vpc == null || alltrue([for s in try(var.vpc.subnet_ids, []) : can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", s))])
    error_message = "vpc.subnet_ids must be subnet ids: subnet- followed by 8 or 17 lowercase hex digits."
  }

  # SageMaker VpcConfig.SecurityGroupIds and CodeBuild vpcConfig.securityGroupIds both allow 1-5.
  validation {
    condition     = var.vpc == null || (length(try(var.vpc.security_group_ids, [])) >= 1 && length(try(var.vpc.security_group_ids, [])) <= 5 && length(distinct(try(var.vpc.security_group_ids, []))) == length(try(var.vpc.security_group_ids, [])))
    error_message = "vpc.security_group_ids must hold 1 to 5 distinct security group ids (SageMaker's and CodeBuild's limit)."
  }

  validation {
    condition     = var.vpc == null || alltrue([for s in try(var.vpc.security_group_ids, []) : can(regex("^sg-([0-9a-f]{8}|[0-9a-f]{17})$", s))])
    error_message = "vpc.security_group_ids must be security group ids: sg- followed by 8 or 17 lowercase hex digits."
  }
}

variable "seed_mode" {
  description = "How the CodeCommit repository gets its first files (ignored for codeconnections). local-exec: Terraform runs `seed_python -m deployer seed-repo` (needs python3 and the deployer where Terraform runs), writing only files the repository lacks or still holds as seeded. none: Terraform needs only the AWS provider and creates an empty repository; the team pushes seed/ once (seed/README.md), and that push starts the pipeline."
  type        = string
  default     = "local-exec"

  validation {
    condition     = contains(["local-exec", "none"], var.seed_mode)
    error_message = "seed_mode must be one of: local-exec, none."
  }
}

################################################################################
# Deployer supply chain (docs/supply-chain.md)
################################################################################

variable "deployer_lock_path" {
  description = "Local path of the deployer's hash-pinned dependency lock (python/deployer/requirements.lock; make wheel copies it beside the wheel). Empty: requirements.lock beside deployer_wheel_path. Uploaded under deployer/requirements/sha256-<hex>/ (DEPLOYER_LOCK_S3_URI, DEPLOYER_LOCK_SHA256); the buildspecs install it with pip --require-hashes --no-deps before the wheel."
  type        = string
  default     = ""

  validation {
    condition     = !endswith(var.deployer_wheel_path, ".whl") || fileexists(var.deployer_lock_path != "" ? var.deployer_lock_path : "${dirname(var.deployer_wheel_path)}/requirements.lock")
    error_message = "deployer_lock_path: no lock file at the given path (or, when empty, no requirements.lock beside deployer_wheel_path). Build both with `make wheel` (dist/) or pass the path of python/deployer/requirements.lock."
  }
}

variable "deployer_dependencies" {
  description = "Where CodeBuild gets the deployer's locked dependencies: \"pypi\" (pip downloads them from the index the build image is configured with, checked against the lock's hashes) or \"bundled\" (the wheels of deployer_wheelhouse_dir are uploaded to the artifact bucket and installed with --no-index, so builds need no internet access)."
  type        = string
  default     = "pypi"
  nullable    = false

  validation {
    condition     = contains(["pypi", "bundled"], var.deployer_dependencies)
    error_message = "deployer_dependencies must be \"pypi\" or \"bundled\"."
  }
}

variable "deployer_wheelhouse_dir" {
  description = "With deployer_dependencies = \"bundled\": local directory of the locked dependency wheels (make wheelhouse writes .build/wheelhouse/). Its *.whl files are uploaded under deployer/wheelhouse/sha256-<lock hex>/ (DEPLOYER_WHEELHOUSE_S3_URI). Ignored with \"pypi\"."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.deployer_dependencies != "bundled" || !endswith(var.deployer_wheel_path, ".whl") || length(fileset(var.deployer_wheelhouse_dir == "" ? "." : var.deployer_wheelhouse_dir, "*.whl")) > 0 && var.deployer_wheelhouse_dir != ""
    error_message = "deployer_wheelhouse_dir: with deployer_dependencies = \"bundled\" it must be a directory holding the locked dependency wheels (*.whl), for example .build/wheelhouse from `make wheelhouse`."
  }
}

variable "endpoint_guard" {
  description = "Refuse to destroy this model's stage resources while its endpoint exists (a destroy-time check run with seed_python and boto3, as seed_role_arn). Turn off only where Terraform runs without Python and boto3, and then run the teardown build before removing a model."
  type        = bool
  default     = true
}
