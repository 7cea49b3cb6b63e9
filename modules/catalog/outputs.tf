output "models" {
  description = "Checked models: name => { name, prefix, group_name, description, source (provider and source_connection overrides), stages = stage => overrides (endpoint, data_capture, deployment, autoscaling, alarms) }."
  value = {
    for name, m in local.models : name => merge(m, { group_name = m.prefix })
  }

  precondition {
    condition     = length(local.problems) == 0
    error_message = "The models map has ${length(local.problems)} problem(s):\n- ${join("\n- ", local.problems)}"
  }

  precondition {
    condition     = length(local.over_limits) == 0
    error_message = "Too many models for this account's quotas:\n- ${join("\n- ", local.over_limits)}"
  }
}

output "stages" {
  description = "The stage chain: name => { name, account_id, region, requires_approval, previous, previous_account_id, next, next_account_id }."
  value       = local.stages
}

output "max_models" {
  description = "How many models fit under the configured quotas (keeping 10% of each free)."
  value       = local.max_models
}
