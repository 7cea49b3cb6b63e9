# The platform, once: read by envs/tooling and envs/stage with -var-file=../platform.tfvars.
# Adding a model is one entry of `models`; adding a stage is one entry of `stages` plus its
# envs/stage/<stage>.tfvars (that stage's defaults for every model).
platform           = "ml" # shared name: <platform>-terraform role, state bucket, ledger, artifact bucket
region             = "us-east-1"
tooling_account_id = "111111111111"

# In promotion order: each stage's previous and next stage (and their accounts) come from here.
stages = [
  { name = "dev", account_id = "222222222222" },
  { name = "staging", account_id = "333333333333" },
  { name = "prod", account_id = "444444444444", requires_approval = true },
]

models = {
  churn = {
    description = "Customer churn classifier"
    # prefix = "ml-churn"   # resource name prefix; default <platform>-<model>
    stages = { # per-stage overrides of the stage file's defaults (endpoint, data_capture, deployment, autoscaling, alarms)
      prod = { endpoint = { instance_type = "ml.m5.xlarge" } }
    }
  }
}

tags = { team = "ml-platform" }
