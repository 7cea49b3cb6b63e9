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
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111111111111:role/churn-terraform"
    }
  }
}

variables {
  project                = "churn"
  trusted_principal_arns = ["arn:aws:iam::111111111111:role/platform-terraform-ci"]
}

run "role_trusts_exact_principals" {
  command = plan

  assert {
    condition     = aws_iam_role.this.name == "churn-terraform"
    error_message = "the Terraform role is <project>-terraform"
  }
  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal.AWS == ["arn:aws:iam::111111111111:role/platform-terraform-ci"]
    error_message = "the role trusts exactly the named principals"
  }
}

run "no_wildcard_action_on_every_resource" {
  command = plan

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
      !(contains(s.Resource, "*") && anytrue([for a in s.Action : endswith(a, "*")]))
    ])
    error_message = "a statement on \"*\" must list exact actions"
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
      alltrue([for r in s.Resource : r == "*" || strcontains(r, "churn") || strcontains(r, ":key/") || strcontains(r, ":repository/") || strcontains(r, ":connection/")])
    ])
    error_message = "every scoped statement names this project's resources"
  }
  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : contains(s.Action, "iam:AttachRolePolicy")])
    error_message = "the Terraform role attaches no managed policies (the modules use none)"
  }
}

run "bad_inputs_are_refused" {
  command = plan

  variables {
    project                = "Churn_Project"
    trusted_principal_arns = ["*"]
  }

  expect_failures = [var.project, var.trusted_principal_arns]
}
