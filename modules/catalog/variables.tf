variable "platform" {
  description = "Platform name: the shared prefix of every resource (<platform>-terraform may manage only <platform>-* names)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.platform))
    error_message = "platform must match ^[a-z][a-z0-9-]{0,19}$ (a lowercase letter, then up to 19 lowercase letters, digits and hyphens)."
  }
}

variable "stages" {
  description = "Ordered delivery stages of the platform: name, account_id, optional region (empty: the tooling region) and requires_approval (manual approval before Deploy)."
  type = list(object({
    name              = string
    account_id        = string
    region            = optional(string, "")
    requires_approval = optional(bool, false)
  }))

  validation {
    condition     = length(var.stages) > 0
    error_message = "stages must list at least one stage, e.g. [{ name = \"dev\", account_id = \"222222222222\" }]."
  }

  validation {
    condition     = alltrue([for s in var.stages : can(regex("^[a-z][a-z0-9-]{0,19}$", s.name))])
    error_message = "Every stage name must match ^[a-z][a-z0-9-]{0,19}$ (bad: ${join(", ", [for s in var.stages : s.name if !can(regex("^[a-z][a-z0-9-]{0,19}$", s.name))])})."
  }

  validation {
    condition     = alltrue([for s in var.stages : can(regex("^[0-9]{12}$", s.account_id))])
    error_message = "Every stage account_id must be a 12-digit AWS account id (bad: ${join(", ", [for s in var.stages : "${s.name}.account_id = \"${s.account_id}\"" if !can(regex("^[0-9]{12}$", s.account_id))])})."
  }

  validation {
    condition     = length(distinct([for s in var.stages : s.name])) == length(var.stages)
    error_message = "Stage names must be unique."
  }
}

variable "models" {
  description = <<-EOT
    The models of the platform, one entry each; the key is the model's name (^[a-z][a-z0-9-]{0,29}$, in ledger keys, events and `deployer status`). Each entry may set:
    description (string), prefix (resource name prefix; default <platform>-<model>; must be <platform> or start with <platform>-),
    source (where its stage repositories live, over the stage file's defaults: provider = codecommit or codeconnections, and the
    source_connection fields connection_arn, full_repository_id, branch, create, name, provider_type, host_arn),
    and stages: a map of stage name to overrides of that stage's defaults for this model (endpoint, data_capture, deployment, autoscaling, alarms).
    Typed here as any so that an unknown key fails with the entry and the field named (not silently dropped).
  EOT
  type        = any

  validation {
    condition     = can(keys(var.models)) && length(var.models) > 0
    error_message = "models must be a map with at least one model, e.g. { churn = {} }."
  }
}

variable "quotas" {
  description = "Per-account AWS quotas the models map is checked against at plan (raise them here after AWS raised them): custom event buses per account, rules per event bus, pipelines per region, IAM roles per account."
  type = object({
    event_buses_per_account = optional(number, 100)
    rules_per_event_bus     = optional(number, 300)
    pipelines_per_region    = optional(number, 1000)
    iam_roles_per_account   = optional(number, 1000)
  })
  default = {}
}
