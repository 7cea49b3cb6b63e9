# var.vpc: CodeBuild vpc_config, the EC2 statements of the CodeBuild and execution roles, the rendered
# endpoint.vpc, and the validation of bad ids and counts. Mocked AWS provider, as stage.tftest.hcl.

mock_provider "aws" {
  source = "./tests/mocks"
}


# The first stage, as envs/dev calls it, in a VPC.
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
  vpc = {
    vpc_id                     = "vpc-0123456789abcdef0"
    subnet_ids                 = ["subnet-0123456789abcdef0", "subnet-11111111"]
    security_group_ids         = ["sg-0123456789abcdef0"]
    endpoint_network_isolation = true
  }
}

run "no_vpc_by_default" {
  variables {
    vpc = null
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.this : length(p.vpc_config) == 0])
    error_message = "Without var.vpc no project has a vpc_config."
  }
  assert {
    condition = length([
      for s in concat(
        jsondecode(aws_iam_role_policy.codebuild.policy).Statement,
        jsondecode(aws_iam_role_policy.codebuild_test.policy).Statement,
        jsondecode(aws_iam_role_policy.execution.policy).Statement,
      ) : s if startswith(s.Sid, "Vpc")
    ]) == 0
    error_message = "Without var.vpc no role gets EC2 permissions."
  }
  assert {
    condition     = output.stage_config.endpoint.vpc == null && output.stage_config.endpoint.network_isolation == false
    error_message = "Without var.vpc the stage config says endpoint.vpc = null and network_isolation = false."
  }
}

run "codebuild_projects_in_the_vpc" {
  variables {
    requires_approval = true
  }

  assert {
    condition     = length(aws_codebuild_project.this) == 6
    error_message = "A stage with approval has six projects (deploy, test, promote, teardown, plan, rollback)."
  }
  assert {
    condition = alltrue([
      for p in aws_codebuild_project.this : length(p.vpc_config) == 1
      && p.vpc_config[0].vpc_id == "vpc-0123456789abcdef0"
      && toset(p.vpc_config[0].subnets) == toset(["subnet-0123456789abcdef0", "subnet-11111111"])
      && toset(p.vpc_config[0].security_group_ids) == toset(["sg-0123456789abcdef0"])
    ])
    error_message = "Every CodeBuild project of the stage runs in the VPC's subnets and security groups."
  }
}

run "codebuild_roles_get_the_vpc_permissions" {
  assert {
    condition = alltrue([
      for policy in [aws_iam_role_policy.codebuild.policy, aws_iam_role_policy.codebuild_test.policy] :
      one([for s in jsondecode(policy).Statement : s if s.Sid == "VpcBuildNetworkInterfacePermission"]) == {
        Sid      = "VpcBuildNetworkInterfacePermission"
        Effect   = "Allow"
        Action   = ["ec2:CreateNetworkInterfacePermission"]
        Resource = ["arn:aws:ec2:us-east-1:222222222222:network-interface/*"]
        Condition = {
          StringEquals = {
            "ec2:Subnet" = [
              "arn:aws:ec2:us-east-1:222222222222:subnet/subnet-0123456789abcdef0",
              "arn:aws:ec2:us-east-1:222222222222:subnet/subnet-11111111",
            ]
            "ec2:AuthorizedService" = "codebuild.amazonaws.com"
          }
        }
      }
    ])
    error_message = "Both CodeBuild roles may create interface permissions only for CodeBuild, only in the stage's subnets."
  }
  assert {
    condition = alltrue([
      for policy in [aws_iam_role_policy.codebuild.policy, aws_iam_role_policy.codebuild_test.policy] :
      one([for s in jsondecode(policy).Statement : s if s.Sid == "VpcBuildNetworkInterfaces"]) == {
        Sid    = "VpcBuildNetworkInterfaces"
        Effect = "Allow"
        Action = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
        Resource = [
          "arn:aws:ec2:us-east-1:222222222222:network-interface/*",
          "arn:aws:ec2:us-east-1:222222222222:subnet/subnet-0123456789abcdef0",
          "arn:aws:ec2:us-east-1:222222222222:subnet/subnet-11111111",
          "arn:aws:ec2:us-east-1:222222222222:security-group/sg-0123456789abcdef0",
        ]
        Condition = { ArnEquals = { "ec2:Vpc" = "arn:aws:ec2:us-east-1:222222222222:vpc/vpc-0123456789abcdef0" } }
      }
    ])
    error_message = "Both CodeBuild roles may create and delete interfaces only in the stage's VPC, subnets and security groups."
  }
  assert {
    condition = alltrue([
      for policy in [aws_iam_role_policy.codebuild.policy, aws_iam_role_policy.codebuild_test.policy] :
      one([for s in jsondecode(policy).Statement : s if s.Sid == "VpcBuildDescribe"]).Action == [
        "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
      ]
    ])
    error_message = "Both CodeBuild roles get exactly the EC2 Describe calls CodeBuild makes in a VPC."
  }
  # Nothing but the Describe calls is granted on "*".
  assert {
    condition = alltrue([
      for s in concat(jsondecode(aws_iam_role_policy.codebuild.policy).Statement, jsondecode(aws_iam_role_policy.execution.policy).Statement) :
      alltrue([for a in flatten([s.Action]) : startswith(a, "ec2:Describe")]) if startswith(s.Sid, "Vpc") && s.Resource == "*"
    ])
    error_message = "Only ec2:Describe* actions may be granted on \"*\"."
  }
}

run "execution_role_gets_the_eni_permissions" {
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "VpcModelNetworkInterfaces"]) == {
      Sid    = "VpcModelNetworkInterfaces"
      Effect = "Allow"
      Action = [
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
      ]
      Resource = [
        "arn:aws:ec2:us-east-1:222222222222:network-interface/*",
        "arn:aws:ec2:us-east-1:222222222222:subnet/subnet-0123456789abcdef0",
        "arn:aws:ec2:us-east-1:222222222222:subnet/subnet-11111111",
        "arn:aws:ec2:us-east-1:222222222222:security-group/sg-0123456789abcdef0",
      ]
      Condition = { ArnEquals = { "ec2:Vpc" = "arn:aws:ec2:us-east-1:222222222222:vpc/vpc-0123456789abcdef0" } }
    }
    error_message = "The execution role manages interfaces and their permissions only in the stage's VPC."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "VpcModelDescribe"]).Action == [
      "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
    ]
    error_message = "The execution role gets the EC2 Describe calls SageMaker makes for a VPC model."
  }
}

run "stage_config_carries_the_vpc" {
  assert {
    condition = jsonencode(output.stage_config.endpoint.vpc) == jsonencode({
      subnet_ids         = ["subnet-0123456789abcdef0", "subnet-11111111"]
      security_group_ids = ["sg-0123456789abcdef0"]
    })
    error_message = "The stage config's endpoint.vpc names the subnets and security groups."
  }
  assert {
    condition     = output.stage_config.endpoint.network_isolation == true
    error_message = "endpoint_network_isolation is rendered as endpoint.network_isolation."
  }
}

run "endpoint_only_vpc_leaves_codebuild_outside" {
  variables {
    vpc = {
      vpc_id             = "vpc-0123456789abcdef0"
      subnet_ids         = ["subnet-0123456789abcdef0"]
      security_group_ids = ["sg-0123456789abcdef0"]
      codebuild          = false
    }
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.this : length(p.vpc_config) == 0])
    error_message = "vpc.codebuild = false keeps the projects outside the VPC."
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if startswith(s.Sid, "Vpc")]) == 0
    error_message = "Projects outside the VPC need no EC2 permissions."
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if startswith(s.Sid, "Vpc")]) == 2
    error_message = "The endpoint is still in the VPC: the execution role keeps its EC2 statements."
  }
  assert {
    condition     = output.stage_config.endpoint.network_isolation == false
    error_message = "endpoint_network_isolation defaults to false."
  }
}

run "bad_vpc_id" {
  command = plan
  variables {
    vpc = { vpc_id = "vpc-xyz", subnet_ids = ["subnet-11111111"], security_group_ids = ["sg-11111111"] }
  }
  expect_failures = [var.vpc]
}

run "bad_subnet_id" {
  command = plan
  variables {
    vpc = { vpc_id = "vpc-11111111", subnet_ids = ["subnet-11111111", "sn-22222222"], security_group_ids = ["sg-11111111"] }
  }
  expect_failures = [var.vpc]
}

run "no_subnets" {
  command = plan
  variables {
    vpc = { vpc_id = "vpc-11111111", subnet_ids = [], security_group_ids = ["sg-11111111"] }
  }
  expect_failures = [var.vpc]
}

run "seventeen_subnets" {
  command = plan
  variables {
    vpc = { vpc_id = "vpc-11111111", subnet_ids = [for i in range(17) : format("subnet-%08x", i)], security_group_ids = ["sg-11111111"] }
  }
  expect_failures = [var.vpc]
}

run "duplicate_subnets" {
  command = plan
  variables {
    vpc = { vpc_id = "vpc-11111111", subnet_ids = ["subnet-11111111", "subnet-11111111"], security_group_ids = ["sg-11111111"] }
  }
  expect_failures = [var.vpc]
}

run "six_security_groups" {
  command = plan
  variables {
    vpc = { vpc_id = "vpc-11111111", subnet_ids = ["subnet-11111111"], security_group_ids = [for i in range(6) : format("sg-%08x", i)] }
  }
  expect_failures = [var.vpc]
}

run "bad_security_group_id" {
  command = plan
  variables {
    vpc = { vpc_id = "vpc-11111111", subnet_ids = ["subnet-11111111"], security_group_ids = ["sg-ABCDEF12"] }
  }
  expect_failures = [var.vpc]
}

run "sixteen_subnets_and_five_groups_are_allowed" {
  variables {
    vpc = {
      vpc_id             = "vpc-11111111"
      subnet_ids         = [for i in range(16) : format("subnet-%08x", i)]
      security_group_ids = [for i in range(5) : format("sg-%017x", i)]
    }
  }
  assert {
    condition     = length(output.stage_config.endpoint.vpc.subnet_ids) == 16 && length(output.stage_config.endpoint.vpc.security_group_ids) == 5
    error_message = "The upper limits themselves are accepted."
  }
}
