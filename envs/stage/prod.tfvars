# The prod stage: its name and its defaults for every model (a model's stages.prod in ../platform.tfvars
# overrides them, e.g. churn's instance type). Its account, neighbours and requires_approval come from
# stages in ../platform.tfvars.
stage = "prod"

endpoint     = { instance_type = "ml.m5.large", instance_count = 2 }
data_capture = { enabled = true, sampling_percentage = 10 }
deployment   = { strategy = "canary", step_type = "CAPACITY_PERCENT", step_value = 25, wait_seconds = 600 }
autoscaling  = { enabled = true, min_capacity = 2, max_capacity = 6, target_invocations_per_instance = 100 }
