# Plan-time unit tests against a mocked AWS provider (no credentials, no network).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111111111111"
      arn        = "arn:aws:sts::111111111111:assumed-role/OrganizationAccountAccessRole/terraform-bootstrap"
    }
  }
  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_session_context" {
    defaults = {
      issuer_arn = "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000000"
    }
  }
}

variables {
  project            = "churn"
  terraform_role_arn = "arn:aws:iam::111111111111:role/churn-terraform"
}

run "state_bucket_defaults" {
  command = apply

  assert {
    condition     = aws_s3_bucket.state.bucket == "churn-tfstate-111111111111" && aws_s3_bucket.state.force_destroy == false
    error_message = "state bucket <project>-tfstate-<account>, not force-destroyable by default"
  }
  assert {
    condition     = aws_kms_key.state.deletion_window_in_days == 30 && aws_kms_key.state.enable_key_rotation
    error_message = "state key: 30-day window and rotation by default"
  }
  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "aws:kms"
    error_message = "state is encrypted with the state key"
  }
  assert {
    condition = contains(
      jsondecode(aws_s3_bucket_policy.state.policy).Statement[1].Condition.ArnNotEquals["aws:PrincipalArn"],
      "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
    )
    error_message = "whoever bootstrapped keeps access to tear the bucket down"
  }
}

run "bad_inputs_are_refused" {
  command = plan

  variables {
    project                     = "Churn_Project"
    terraform_role_arn          = "churn-terraform"
    kms_deletion_window_in_days = 3
  }

  expect_failures = [var.project, var.terraform_role_arn, var.kms_deletion_window_in_days]
}
