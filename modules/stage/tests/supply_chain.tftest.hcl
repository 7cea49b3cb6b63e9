# Unit tests of the deployer supply chain (docs/supply-chain.md): content-addressed keys, the variables the
# install step reads, the two dependency modes, and bad input.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The two CodeBuild roles get their real ARNs, so the tests can tell which project runs as which role.
override_resource {
  target = aws_iam_role.codebuild
  values = { arn = "arn:aws:iam::222222222222:role/churn-dev-codebuild" }
}

override_resource {
  target = aws_iam_role.codebuild_test
  values = { arn = "arn:aws:iam::222222222222:role/churn-dev-codebuild-test" }
}


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
}

run "pypi_dependencies_pinned_by_the_lock" {
  assert {
    condition     = aws_s3_object.deployer_wheel[0].key == "deployer/deployer-0.0.0/sha256-${filesha256("tests/fixtures/dist/deployer-0.0.0-py3-none-any.whl")}/deployer-0.0.0-py3-none-any.whl"
    error_message = "One build, one name: deployer/<distribution>-<version>/sha256-<hex>/<wheel file name>."
  }
  assert {
    condition     = aws_s3_object.deployer_lock[0].key == "deployer/requirements/sha256-${filesha256("tests/fixtures/dist/requirements.lock")}/requirements.lock" && aws_s3_object.deployer_lock[0].source == "tests/fixtures/dist/requirements.lock"
    error_message = "The lock beside the wheel is uploaded under its own sha256."
  }
  assert {
    condition     = aws_s3_object.deployer_wheel[0].kms_key_id == aws_kms_key.this.arn && aws_s3_object.deployer_lock[0].kms_key_id == aws_kms_key.this.arn
    error_message = "The deployer objects are encrypted with the stage key."
  }
  assert {
    condition = alltrue([for k, p in aws_codebuild_project.this : {
      for e in p.environment[0].environment_variable : e.name => e.value
      } == {
      PROJECT                    = "churn"
      STAGE                      = "dev"
      DEPLOYER_WHEEL_S3_URI      = "s3://churn-dev-pipeline-222222222222/deployer/deployer-0.0.0/sha256-${filesha256("tests/fixtures/dist/deployer-0.0.0-py3-none-any.whl")}/deployer-0.0.0-py3-none-any.whl"
      DEPLOYER_WHEEL_SHA256      = filesha256("tests/fixtures/dist/deployer-0.0.0-py3-none-any.whl")
      DEPLOYER_LOCK_S3_URI       = "s3://churn-dev-pipeline-222222222222/deployer/requirements/sha256-${filesha256("tests/fixtures/dist/requirements.lock")}/requirements.lock"
      DEPLOYER_LOCK_SHA256       = filesha256("tests/fixtures/dist/requirements.lock")
      DEPLOYER_WHEELHOUSE_S3_URI = ""
      DEPLOYER_PLATFORM_CONFIG   = "/churn/dev/deployer/config"
    } if k != "test"])
    error_message = "Every platform build gets the exact wheel and lock URIs with their sha256, and no wheelhouse in pypi mode."
  }
  assert {
    condition = alltrue([for k, p in aws_codebuild_project.this :
      yamldecode(p.source[0].buildspec).phases.install.commands == [trimspace(file("install-deployer.sh"))] if k != "test"
    ])
    error_message = "The platform buildspecs' install step is exactly install-deployer.sh (what the e2e test runs)."
  }
  assert {
    condition     = length(aws_s3_object.deployer_wheelhouse) == 0 && !strcontains(aws_iam_role_policy.codebuild.policy, "DeployerWheelhouseList") && !strcontains(aws_iam_role_policy.codebuild_test.policy, "DeployerWheelhouseList")
    error_message = "pypi mode uploads no wheelhouse and grants no listing."
  }
  assert {
    condition     = output.deployer_build.dependencies == "pypi" && output.deployer_build.wheel_sha256 == filesha256("tests/fixtures/dist/deployer-0.0.0-py3-none-any.whl")
    error_message = "The deployer_build output names the installed build."
  }
}

run "bundled_dependencies_from_the_artifact_bucket" {
  variables {
    deployer_lock_path      = "tests/fixtures/dist/requirements.lock"
    deployer_dependencies   = "bundled"
    deployer_wheelhouse_dir = "tests/fixtures/wheelhouse"
  }
  assert {
    condition = toset([for o in aws_s3_object.deployer_wheelhouse : o.key]) == toset([
      for f in ["jmespath-1.1.0-py3-none-any.whl", "six-1.17.0-py2.py3-none-any.whl"] :
      "deployer/wheelhouse/sha256-${filesha256("tests/fixtures/dist/requirements.lock")}/${f}"
    ])
    error_message = "Bundled: every wheel of the wheelhouse is uploaded under the lock's sha256."
  }
  assert {
    condition     = alltrue([for o in aws_s3_object.deployer_wheelhouse : o.kms_key_id == aws_kms_key.this.arn && o.source_hash == filemd5(o.source)])
    error_message = "Wheelhouse objects are encrypted with the stage key and tracked by content."
  }
  assert {
    condition     = { for e in aws_codebuild_project.this["deploy"].environment[0].environment_variable : e.name => e.value }["DEPLOYER_WHEELHOUSE_S3_URI"] == "s3://churn-dev-pipeline-222222222222/deployer/wheelhouse/sha256-${filesha256("tests/fixtures/dist/requirements.lock")}/"
    error_message = "Bundled: the builds get the wheelhouse prefix."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "DeployerWheelhouseList"] == [{
      Sid       = "DeployerWheelhouseList"
      Effect    = "Allow"
      Action    = ["s3:ListBucket"]
      Resource  = ["arn:aws:s3:::churn-dev-pipeline-222222222222"]
      Condition = { StringLike = { "s3:prefix" = ["deployer/wheelhouse/*"] } }
    }]
    error_message = "Bundled: the platform role may list the wheelhouse prefix only."
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.codebuild_test.policy).Statement : s if s.Sid == "DeployerWheelhouseList"]) == 1
    error_message = "Bundled: the test role (the seeded Test buildspec installs the deployer the same way) may list the wheelhouse too."
  }
}

run "no_wheel_uploads_nothing" {
  variables {
    deployer_wheel_path = ""
  }
  assert {
    condition     = length(aws_s3_object.deployer_wheel) + length(aws_s3_object.deployer_lock) + length(aws_s3_object.deployer_wheelhouse) == 0
    error_message = "Without a wheel nothing is uploaded."
  }
  assert {
    condition     = alltrue([for e in aws_codebuild_project.this["deploy"].environment[0].environment_variable : e.value == "" if startswith(e.name, "DEPLOYER_") && e.name != "DEPLOYER_PLATFORM_CONFIG"])
    error_message = "Without a wheel the DEPLOYER_* variables are empty (the install step then fails naming deployer_wheel_path)."
  }
}

run "invalid_deployer_dependencies" {
  command = plan
  variables {
    deployer_dependencies = "codeartifact"
  }
  expect_failures = [var.deployer_dependencies]
}

run "invalid_bundled_without_wheelhouse" {
  command = plan
  variables {
    deployer_dependencies = "bundled"
  }
  expect_failures = [var.deployer_wheelhouse_dir]
}

run "invalid_missing_lock" {
  command = plan
  variables {
    deployer_lock_path = "tests/fixtures/does-not-exist.lock"
  }
  expect_failures = [var.deployer_lock_path]
}

run "invalid_unpinned_lock" {
  command = plan
  variables {
    deployer_lock_path = "tests/fixtures/unpinned.lock"
  }
  expect_failures = [aws_s3_object.deployer_lock]
}

run "invalid_wheel_file_name" {
  command = plan
  variables {
    deployer_wheel_path = "tests/fixtures/dist/deployer.whl"
  }
  expect_failures = [var.deployer_wheel_path]
}
