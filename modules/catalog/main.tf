# The platform's models map, checked once: both the tooling root and the stage root read it through this
# module, so a bad entry fails the same way in every account, at plan, before anything changes.

locals {
  model_keys        = ["description", "prefix", "source", "stages"]
  source_keys       = ["provider", "connection_arn", "full_repository_id", "branch", "create", "name", "provider_type", "host_arn"]
  stage_keys        = ["endpoint", "data_capture", "deployment", "autoscaling", "alarms"]
  stage_names       = [for s in var.stages : s.name]
  model_name_regex  = "^[a-z][a-z0-9-]{0,29}$"
  prefix_name_regex = "^[a-z][a-z0-9-]{0,39}$"

  # Raw entries, read defensively: the checks below name what is wrong instead of failing on a lookup.
  entries = { for name, m in var.models : name => m if can(keys(m)) }

  models = {
    for name, m in local.entries : name => {
      name        = name
      description = try(tostring(m.description), "")
      prefix      = try(tostring(m.prefix), "") != "" ? tostring(m.prefix) : "${var.platform}-${name}"
      stages      = try(keys(m.stages), null) != null ? m.stages : {}
      source      = try(keys(m.source), null) != null ? m.source : {}
    }
  }

  stages = {
    for i, s in var.stages : s.name => {
      name                = s.name
      account_id          = s.account_id
      region              = s.region
      requires_approval   = s.requires_approval
      previous            = i == 0 ? "" : var.stages[i - 1].name
      previous_account_id = i == 0 ? "" : var.stages[i - 1].account_id
      next                = i == length(var.stages) - 1 ? "" : var.stages[i + 1].name
      next_account_id     = i == length(var.stages) - 1 ? "" : var.stages[i + 1].account_id
    }
  }

  # Problems, each naming the entry and the field (empty lists when the map is good).
  bad_names   = [for name in keys(var.models) : "models.${name}: the name must match ${local.model_name_regex}" if !can(regex(local.model_name_regex, name))]
  bad_entries = [for name, m in var.models : "models.${name}: must be an object such as { description = \"...\" }" if !can(keys(m))]
  bad_keys = flatten([
    for name, m in local.entries : [
      for k in keys(m) : "models.${name}.${k}: unknown field (allowed: ${join(", ", local.model_keys)})" if !contains(local.model_keys, k)
    ]
  ])
  bad_prefixes = [
    for name, m in local.models : "models.${name}.prefix = \"${m.prefix}\": must match ${local.prefix_name_regex} and be \"${var.platform}\" or start with \"${var.platform}-\" (the Terraform role manages only ${var.platform}-* names)"
    if !can(regex(local.prefix_name_regex, m.prefix)) || !(m.prefix == var.platform || startswith(m.prefix, "${var.platform}-"))
  ]
  bad_stage_names = flatten([
    for name, m in local.models : [
      for s in keys(m.stages) : "models.${name}.stages.${s}: not a stage of the platform (stages: ${join(", ", local.stage_names)})" if !contains(local.stage_names, s)
    ]
  ])
  bad_stage_keys = flatten([
    for name, m in local.models : [
      for s, o in m.stages : can(keys(o)) ? [
        for k in keys(o) : "models.${name}.stages.${s}.${k}: unknown field (allowed: ${join(", ", local.stage_keys)})" if !contains(local.stage_keys, k)
      ] : ["models.${name}.stages.${s}: must be an object such as { endpoint = { instance_type = \"ml.m5.large\" } }"]
    ]
  ])
  bad_source = flatten([
    for name, m in local.models : [
      for k in keys(m.source) : "models.${name}.source.${k}: unknown field (allowed: ${join(", ", local.source_keys)})" if !contains(local.source_keys, k)
    ]
  ])
  # S3 bucket names (<prefix>-<stage>-data-capture-<account id>) have at most 63 characters.
  bad_lengths = flatten([
    for name, m in local.models : [
      for s in local.stage_names : "models.${name}: ${m.prefix}-${s}-data-capture-<account id> is longer than the 63 characters S3 allows (prefix and stage may have 35 together, here ${length(m.prefix) + length(s)}); set a shorter prefix"
      if length(m.prefix) + length(s) > 35
    ]
  ])

  # Two models must never share a group, repository, pipeline or endpoint: all are <prefix> or <prefix>-<stage>.
  prefixes = [for m in local.models : m.prefix]
  shared_prefixes = [
    for p in distinct(local.prefixes) : "models ${join(" and ", [for n, m in local.models : n if m.prefix == p])}: the same prefix \"${p}\" (they would share a model package group, repositories, pipelines and endpoints)"
    if length([for q in local.prefixes : q if q == p]) > 1
  ]
  endpoint_owners = flatten([for n, m in local.models : [for s in local.stage_names : { name = "${m.prefix}-${s}", model = n }]])
  shared_endpoints = [
    for e in distinct([for o in local.endpoint_owners : o.name]) : "models ${join(" and ", distinct([for o in local.endpoint_owners : o.model if o.name == e]))}: both would name an endpoint, repository and pipeline ${e}"
    if length(distinct([for o in local.endpoint_owners : o.model if o.name == e])) > 1
  ]

  # The deployer names a model's endpoint configs and models <prefix>-<stage>-v<version>-..., and its roles may
  # change <prefix>-<stage>-v*: no other model's names may fall under that pattern.
  name_patterns = flatten([for n, m in local.models : [for s in local.stage_names : { model = n, pattern = "${m.prefix}-${s}-v" }]])
  overlapping_patterns = distinct([
    for pair in setproduct(local.name_patterns, local.name_patterns) :
    "models ${pair[0].model} and ${pair[1].model}: ${pair[1].model}'s endpoint configs ${pair[1].pattern}... would fall under ${pair[0].model}'s ${pair[0].pattern}* grants; choose names where neither is the other's <prefix>-<stage>-v"
    if pair[0].model != pair[1].model && startswith(pair[1].pattern, pair[0].pattern)
  ])

  problems = concat(
    local.bad_names, local.bad_entries, local.bad_keys, local.bad_prefixes, local.bad_stage_names, local.bad_source,
    local.bad_stage_keys, local.bad_lengths, local.shared_prefixes, local.shared_endpoints, local.overlapping_patterns,
  )

  # What grows per model in each account, against AWS's per-account quotas (docs/models.md).
  model_count = length(var.models)
  limits = [
    { what = "custom event buses per stage account (one bus per model)", per_model = 1, quota = var.quotas.event_buses_per_account },
    { what = "rules on the tooling account's default event bus (approval and rejection forwarding, two per model)", per_model = 2, quota = var.quotas.rules_per_event_bus },
    { what = "rules on a stage account's default event bus (repository push and pipeline failure, two per model)", per_model = 2, quota = var.quotas.rules_per_event_bus },
    { what = "pipelines per stage account and region (one per model)", per_model = 1, quota = var.quotas.pipelines_per_region },
    { what = "IAM roles per stage account (five per model)", per_model = 5, quota = var.quotas.iam_roles_per_account },
    { what = "IAM roles in the tooling account (one deployer role per model and stage)", per_model = length(var.stages), quota = var.quotas.iam_roles_per_account },
  ]
  # Headroom for what the account holds besides the platform's models.
  limit_headroom = 0.9
  over_limits = [
    for l in local.limits : "${local.model_count} models need ${local.model_count * l.per_model} ${l.what}; the quota is ${l.quota} and the platform keeps 10% free, so at most ${floor(l.quota * local.limit_headroom / l.per_model)} models fit (raise the quota in AWS, then quotas here)"
    if local.model_count * l.per_model > floor(l.quota * local.limit_headroom)
  ]
  max_models = min([for l in local.limits : floor(l.quota * local.limit_headroom / l.per_model)]...)
}
