project            = "churn"
region             = "us-east-1"
account_id         = "333333333333"
tooling_account_id = "111111111111"

stage                     = "staging"
previous_stage            = "dev"
previous_stage_account_id = "222222222222"
next_stage                = "prod"
next_stage_account_id     = "444444444444"
requires_approval         = false

endpoint     = { instance_type = "ml.m5.large", instance_count = 2 }
data_capture = { enabled = true, sampling_percentage = 20 }
deployment   = { strategy = "linear", step_type = "CAPACITY_PERCENT", step_value = 50, wait_seconds = 300 }
autoscaling  = { enabled = true, min_capacity = 2, max_capacity = 4, target_invocations_per_instance = 100 }

tags = {
  team = "ml-platform"
}
