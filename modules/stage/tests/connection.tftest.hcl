# CodeConnections source: a connection created here or given, and the checks on source_connection.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The first stage, as envs/dev calls it.
variables {
  # The destroy-time endpoint check needs AWS; tests of the guard itself set it back (stage.tftest.hcl).
  endpoint_guard           = false
  project                  = "churn"
  stage                    = "dev"
  next_stage               = "staging"
  next_stage_event_bus_arn = "arn:aws:events:us-east-1:333333333333:event-bus/churn-staging"
  tooling_account_id       = "111111111111"
  seed_mode                = "none"
  deployer_wheel_path      = "tests/fixtures/dist/deployer-0.0.0-py3-none-any.whl"
  endpoint                 = { instance_type = "ml.m5.large", instance_count = 2 }
  autoscaling              = { min_capacity = 2, max_capacity = 4 }
  tags                     = { team = "ml-platform" }
}

run "connection_created_here" {
  variables {
    source_provider   = "codeconnections"
    source_connection = { create = true, full_repository_id = "acme/churn-dev" }
  }
  assert {
    condition     = aws_codestarconnections_connection.this[0].name == "churn-dev" && aws_codestarconnections_connection.this[0].provider_type == "GitHub" && aws_codestarconnections_connection.this[0].host_arn == null
    error_message = "The created connection is named <project>-<stage>, GitHub by default, without a host."
  }
  assert {
    condition     = aws_codepipeline.this.stage[0].action[0].configuration.ConnectionArn == aws_codestarconnections_connection.this[0].arn && aws_codepipeline.this.stage[0].action[0].configuration.BranchName == "main"
    error_message = "The Source action reads through the created connection."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : s if s.Sid == "SourceConnection"]).Resource == [aws_codestarconnections_connection.this[0].arn]
    error_message = "The pipeline role may use exactly the created connection."
  }
  assert {
    condition     = output.connection_status == "PENDING" && output.connection_arn == aws_codestarconnections_connection.this[0].arn
    error_message = "The outputs name the connection and its status."
  }
  assert {
    condition     = length(aws_codecommit_repository.this) == 0
    error_message = "No CodeCommit repository with codeconnections."
  }
}

run "connection_named_gitlab" {
  command = plan
  variables {
    source_provider   = "codeconnections"
    source_connection = { create = true, name = "churn-dev-gitlab", provider_type = "GitLab", full_repository_id = "acme/churn" }
  }
  assert {
    condition     = aws_codestarconnections_connection.this[0].name == "churn-dev-gitlab" && aws_codestarconnections_connection.this[0].provider_type == "GitLab"
    error_message = "name and provider_type are passed through."
  }
}

run "connection_through_a_host" {
  command = plan
  variables {
    source_provider = "codeconnections"
    source_connection = {
      create             = true
      provider_type      = "GitHubEnterpriseServer"
      host_arn           = "arn:aws:codestar-connections:us-east-1:222222222222:host/ghes-a1b2c3"
      full_repository_id = "acme/churn"
    }
  }
  assert {
    condition     = aws_codestarconnections_connection.this[0].host_arn == "arn:aws:codestar-connections:us-east-1:222222222222:host/ghes-a1b2c3"
    error_message = "An installed provider connects through its host."
  }
}

run "existing_connection_is_not_created" {
  variables {
    source_provider   = "codeconnections"
    source_connection = { connection_arn = "arn:aws:codeconnections:us-east-1:222222222222:connection/abcd-1234", full_repository_id = "acme/churn-dev" }
  }
  assert {
    condition     = length(aws_codestarconnections_connection.this) == 0 && output.connection_status == null
    error_message = "A given connection is used, not created."
  }
  assert {
    condition     = output.connection_arn == "arn:aws:codeconnections:us-east-1:222222222222:connection/abcd-1234"
    error_message = "connection_arn names the given connection."
  }
}

run "codecommit_has_no_connection" {
  assert {
    condition     = length(aws_codestarconnections_connection.this) == 0 && output.connection_arn == null
    error_message = "CodeCommit sources make and name no connection."
  }
}

run "connection_arn_and_create_conflict" {
  command = plan
  variables {
    source_provider   = "codeconnections"
    source_connection = { create = true, connection_arn = "arn:aws:codeconnections:us-east-1:222222222222:connection/abcd-1234", full_repository_id = "acme/churn" }
  }
  expect_failures = [var.source_connection]
}

run "create_needs_full_repository_id" {
  command = plan
  variables {
    source_provider   = "codeconnections"
    source_connection = { create = true }
  }
  expect_failures = [var.source_connection]
}

run "invalid_provider_type" {
  command = plan
  variables {
    source_provider   = "codeconnections"
    source_connection = { create = true, provider_type = "SourceForge", full_repository_id = "acme/churn" }
  }
  expect_failures = [var.source_connection]
}

run "installed_provider_needs_host" {
  command = plan
  variables {
    source_provider   = "codeconnections"
    source_connection = { create = true, provider_type = "GitLabSelfManaged", full_repository_id = "acme/churn" }
  }
  expect_failures = [var.source_connection]
}

run "cloud_provider_takes_no_host" {
  command = plan
  variables {
    source_provider   = "codeconnections"
    source_connection = { create = true, host_arn = "arn:aws:codestar-connections:us-east-1:222222222222:host/ghes-a1b2c3", full_repository_id = "acme/churn" }
  }
  expect_failures = [var.source_connection]
}

run "invalid_host_arn" {
  command = plan
  variables {
    source_connection = { host_arn = "arn:aws:s3:::bucket" }
  }
  expect_failures = [var.source_connection]
}

run "connection_name_too_long" {
  command = plan
  variables {
    source_provider   = "codeconnections"
    source_connection = { create = true, name = "a-connection-name-longer-than-32-chars", full_repository_id = "acme/churn" }
  }
  expect_failures = [var.source_connection]
}
