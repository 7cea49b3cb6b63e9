project            = "churn"
region             = "us-east-1"
account_id         = "444444444444"
tooling_account_id = "111111111111"

stage                     = "prod"
previous_stage            = "staging"
previous_stage_account_id = "333333333333"
requires_approval         = true

endpoint     = { instance_type = "ml.m5.xlarge", instance_count = 2 }
data_capture = { enabled = true, sampling_percentage = 10 }
deployment   = { strategy = "canary", step_type = "CAPACITY_PERCENT", step_value = 25, wait_seconds = 600 }
autoscaling  = { enabled = true, min_capacity = 2, max_capacity = 6, target_invocations_per_instance = 100 }

tags = {
  team = "ml-platform"
}
