# The staging stage: its name and its defaults for every model (a model's stages.staging in
# ../platform.tfvars overrides them). Its account, neighbours and requires_approval come from stages
# in ../platform.tfvars.
stage = "staging"

endpoint     = { instance_type = "ml.m5.large", instance_count = 2 }
data_capture = { enabled = true, sampling_percentage = 20 }
deployment   = { strategy = "linear", step_type = "CAPACITY_PERCENT", step_value = 50, wait_seconds = 300 }
autoscaling  = { enabled = true, min_capacity = 2, max_capacity = 4, target_invocations_per_instance = 100 }
