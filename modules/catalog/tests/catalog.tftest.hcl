# Plan-time checks of the models map (no provider: the catalog is pure data).

variables {
  platform = "ml"
  stages = [
    { name = "dev", account_id = "222222222222" },
    { name = "staging", account_id = "333333333333" },
    { name = "prod", account_id = "444444444444", requires_approval = true },
  ]
  models = {
    churn = { description = "Customer churn", stages = { prod = { endpoint = { instance_type = "ml.m5.xlarge" } } } }
    fraud = {}
  }
}

run "two_models_with_defaults" {
  command = plan

  assert {
    condition     = output.models.churn.prefix == "ml-churn" && output.models.fraud.prefix == "ml-fraud"
    error_message = "A model's prefix defaults to <platform>-<model>."
  }

  assert {
    condition     = output.models.churn.group_name == "ml-churn" && output.models.churn.stages.prod.endpoint.instance_type == "ml.m5.xlarge"
    error_message = "The group is named after the prefix, and a model's stage overrides pass through."
  }

  assert {
    condition     = output.stages.dev.next == "staging" && output.stages.prod.previous_account_id == "333333333333" && output.stages.prod.requires_approval && output.stages.dev.previous == ""
    error_message = "The stage chain names each stage's neighbours and their accounts."
  }

  assert {
    condition     = output.max_models == 90
    error_message = "With AWS's default quotas, the custom event buses per account (100, 90% used) bound the fleet at 90 models."
  }
}

run "legacy_prefix_keeps_names" {
  command = plan

  variables {
    platform = "churn"
    models   = { churn = { prefix = "churn" } }
  }

  assert {
    condition     = output.models.churn.prefix == "churn"
    error_message = "An upgraded single-model installation keeps its names with prefix = platform."
  }
}

run "unknown_field_named" {
  command = plan

  variables {
    models = { churn = { descripton = "typo" } }
  }

  expect_failures = [output.models]
}

run "prefix_outside_platform" {
  command = plan

  variables {
    models = { churn = { prefix = "other-churn" } }
  }

  expect_failures = [output.models]
}

run "shared_prefix" {
  command = plan

  variables {
    models = { churn = { prefix = "ml-x" }, fraud = { prefix = "ml-x" } }
  }

  expect_failures = [output.models]
}

run "shared_endpoint_name" {
  command = plan

  variables {
    stages = [{ name = "dev", account_id = "222222222222" }, { name = "b-dev", account_id = "333333333333" }]
    models = { a = {}, a-b = {} }
  }

  expect_failures = [output.models]
}

# a's grants cover ml-a-dev-v*: model "a-dev-v" (prefix ml-a-dev-v, configs ml-a-dev-v-dev-v...) falls under them.
run "names_under_another_models_grants" {
  command = plan

  variables {
    stages = [{ name = "dev", account_id = "222222222222" }]
    models = { a = {}, a-dev-v = {} }
  }

  expect_failures = [output.models]
}

run "own_repository_per_model" {
  command = plan

  variables {
    models = { fraud = { source = { provider = "codeconnections", full_repository_id = "acme/fraud-deploy" } } }
  }

  assert {
    condition     = output.models.fraud.source.full_repository_id == "acme/fraud-deploy"
    error_message = "A model's source settings pass through."
  }
}

run "unknown_source_field" {
  command = plan

  variables {
    models = { fraud = { source = { repository = "acme/fraud-deploy" } } }
  }

  expect_failures = [output.models]
}

run "stage_not_in_platform" {
  command = plan

  variables {
    models = { churn = { stages = { qa = { endpoint = { instance_count = 1 } } } } }
  }

  expect_failures = [output.models]
}

run "unknown_stage_field" {
  command = plan

  variables {
    models = { churn = { stages = { dev = { endpont = {} } } } }
  }

  expect_failures = [output.models]
}

run "bad_model_name" {
  command = plan

  variables {
    models = { Churn_Model = {} }
  }

  expect_failures = [output.models]
}

run "name_too_long_for_buckets" {
  command = plan

  variables {
    models = { a-very-long-model-name-for-buckets = {} }
  }

  expect_failures = [output.models]
}

run "over_the_event_bus_quota" {
  command = plan

  variables {
    quotas = { event_buses_per_account = 2 }
  }

  expect_failures = [output.models]
}

run "raised_quota_admits_more" {
  command = plan

  variables {
    quotas = { event_buses_per_account = 1000 }
  }

  assert {
    condition     = output.max_models == 135
    error_message = "With a raised bus quota, the rules on the default buses (300, two per model, 90%) bound the fleet at 135."
  }
}
