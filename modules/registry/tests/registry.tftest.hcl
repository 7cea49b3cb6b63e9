# Plan/apply-time unit tests against a mocked AWS provider (no credentials, no network).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111111111111"
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
      arn = "arn:aws:iam::111111111111:role/mock"
    }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn = "arn:aws:dynamodb:us-east-1:111111111111:table/churn-ledger"
    }
  }
  mock_resource "aws_sagemaker_model_package_group" {
    defaults = {
      arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn"
    }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:us-east-1:111111111111:rule/churn-model-approval-forward"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
    }
  }
}

variables {
  project = "churn"
  stages = [
    { name = "dev", account_id = "222222222222" },
    { name = "staging", account_id = "333333333333" },
    { name = "prod", account_id = "444444444444" },
  ]
}

run "names" {
  assert {
    condition     = aws_sagemaker_model_package_group.this.model_package_group_name == "churn"
    error_message = "The model package group must be named after the project."
  }
  assert {
    condition     = aws_s3_bucket.this.bucket == "churn-artifacts-111111111111"
    error_message = "The artifact bucket must be <project>-artifacts-<tooling account id>."
  }
  assert {
    condition     = aws_kms_alias.this.name == "alias/churn-registry"
    error_message = "The KMS alias must be alias/<project>-registry."
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "Key rotation must be on."
  }
  assert {
    condition     = toset(keys(aws_iam_role.deployer)) == toset(["dev", "staging", "prod"])
    error_message = "One deployer role per stage."
  }
  assert {
    condition     = aws_iam_role.deployer["staging"].name == "churn-deployer-staging"
    error_message = "Deployer roles must be <project>-deployer-<stage>."
  }
}

run "ledger_table" {
  assert {
    condition     = aws_dynamodb_table.this.name == "churn-ledger"
    error_message = "The ledger table must be <project>-ledger."
  }
  assert {
    condition     = aws_dynamodb_table.this.hash_key == "pk" && aws_dynamodb_table.this.range_key == "sk"
    error_message = "The ledger keys must be pk (hash) and sk (range)."
  }
  assert {
    condition     = toset([for a in aws_dynamodb_table.this.attribute : "${a.name}:${a.type}"]) == toset(["pk:S", "sk:S"])
    error_message = "pk and sk must be string attributes."
  }
  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "The ledger must be on-demand."
  }
  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled
    error_message = "PITR must be on."
  }
  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == aws_kms_key.this.arn
    error_message = "The ledger must be encrypted with the registry key."
  }
  assert {
    condition     = aws_dynamodb_table.this.ttl[0].attribute_name == "expires_at" && aws_dynamodb_table.this.ttl[0].enabled
    error_message = "TTL must use expires_at."
  }
}

run "deployer_trust_is_exact" {
  assert {
    condition     = jsondecode(aws_iam_role.deployer["dev"].assume_role_policy).Statement[0].Principal.AWS == "arn:aws:iam::222222222222:root"
    error_message = "The dev deployer role must trust the dev account root (narrowed by PrincipalArn)."
  }
  assert {
    condition     = jsondecode(aws_iam_role.deployer["dev"].assume_role_policy).Statement[0].Condition.ArnEquals["aws:PrincipalArn"] == "arn:aws:iam::222222222222:role/churn-dev-codebuild"
    error_message = "The dev deployer role must be assumable by exactly the dev CodeBuild role."
  }
  assert {
    condition     = !can(jsondecode(aws_iam_role.deployer["dev"].assume_role_policy).Statement[0].Condition.StringEquals)
    error_message = "No PrincipalOrgID condition without organization_id."
  }
  assert {
    condition     = length(jsondecode(aws_iam_role.deployer["prod"].assume_role_policy).Statement) == 1
    error_message = "Deployer trust must have exactly one statement."
  }
}

run "deployer_policy_least_privilege" {
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement :
      alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])
    ])
    error_message = "Deployer policy must not use wildcard actions."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement :
      !contains(flatten([s.Resource]), "*")
    ])
    error_message = "The deployer policy must not use Resource \"*\"."
  }
  assert {
    condition = contains(flatten([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s.Action if s.Sid == "RegistryMirrorVerifiedMarks"
    ]), "sagemaker:UpdateModelPackage")
    error_message = "The deployer must be able to mirror verified marks."
  }
  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s.Resource if s.Sid == "LedgerReadWrite"
    ]) == ["arn:aws:dynamodb:us-east-1:111111111111:table/churn-ledger"]
    error_message = "Ledger access must be on the ledger table only."
  }
  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s.Resource if s.Sid == "LedgerEncryption"
    ]) == [aws_kms_key.this.arn]
    error_message = "KMS use must be on the registry key only."
  }
}

run "group_policy_principals" {
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Principal.AWS if s.Sid == "StageAccountsRead"
    ])) == toset(["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:root"])
    error_message = "The group policy must name each stage account root."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "StageAccountsRead"
      ])) == toset([
      "arn:aws:iam::222222222222:role/churn-dev-codebuild",
      "arn:aws:iam::222222222222:role/churn-dev-sagemaker-execution",
      "arn:aws:iam::333333333333:role/churn-staging-codebuild",
      "arn:aws:iam::333333333333:role/churn-staging-sagemaker-execution",
      "arn:aws:iam::444444444444:role/churn-prod-codebuild",
      "arn:aws:iam::444444444444:role/churn-prod-sagemaker-execution",
    ])
    error_message = "The group policy must narrow the stage roots to exactly the CodeBuild and execution roles."
  }
  assert {
    condition = contains(flatten([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "StageAccountsRead"
    ]), "arn:aws:iam::444444444444:role/churn-prod-sagemaker-execution")
    error_message = "The group policy must allow the prod execution role."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Action
    ])) == toset(["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"])
    error_message = "The group policy must grant only DescribeModelPackage and ListModelPackages."
  }
}

run "bucket_policy" {
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "DenyInsecureTransport"
    ]).Condition.Bool["aws:SecureTransport"] == "false"
    error_message = "The bucket must deny requests without TLS."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageExecutionRolesReadArtifacts"
    ]).Action == ["s3:GetObject"]
    error_message = "Stage execution roles get GetObject only."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageExecutionRolesReadArtifacts"
      ]).Condition.ArnEquals["aws:PrincipalArn"] == [
      "arn:aws:iam::222222222222:role/churn-dev-sagemaker-execution",
      "arn:aws:iam::333333333333:role/churn-staging-sagemaker-execution",
      "arn:aws:iam::444444444444:role/churn-prod-sagemaker-execution",
    ]
    error_message = "GetObject must be narrowed to the exact execution role ARNs."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_policy && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    error_message = "Public access must be blocked."
  }
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be on."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "The bucket must use SSE-KMS."
  }
}

run "kms_policy" {
  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement : !contains(flatten([s.Action]), "kms:*")
    ])
    error_message = "The key policy must not grant kms:*."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Sid == "StageExecutionRolesDecryptArtifacts"
    ]).Action == ["kms:Decrypt", "kms:DescribeKey"]
    error_message = "Stage execution roles may only decrypt and describe."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Sid == "DeployerRolesUseForLedger"
      ]).Condition.ArnEquals["aws:PrincipalArn"] == [
      "arn:aws:iam::111111111111:role/churn-deployer-dev",
      "arn:aws:iam::111111111111:role/churn-deployer-prod",
      "arn:aws:iam::111111111111:role/churn-deployer-staging",
    ]
    error_message = "The deployer roles must be named exactly in the key policy."
  }
}

run "event_forwarding" {
  assert {
    condition     = aws_cloudwatch_event_target.this.arn == "arn:aws:events:us-east-1:222222222222:event-bus/churn-dev"
    error_message = "Approvals must be forwarded to the first stage's bus."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail.ModelPackageGroupName == ["churn"]
    error_message = "The rule must match our group only."
  }
  assert {
    condition     = toset(jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail.ModelApprovalStatus) == toset(["Approved", "Rejected"])
    error_message = "The rule must match Approved and Rejected."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern)["detail-type"] == ["SageMaker Model Package State Change"]
    error_message = "The rule must match model package state changes."
  }
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.events_forward.policy).Statement) == 1 && jsondecode(aws_iam_role_policy.events_forward.policy).Statement[0].Action == "events:PutEvents" && contains(jsondecode(aws_iam_role_policy.events_forward.policy).Statement[0].Resource, "arn:aws:events:us-east-1:222222222222:event-bus/churn-dev")
    error_message = "The forwarding role may only PutEvents, on the stage buses."
  }
  assert {
    condition     = toset(jsondecode(aws_iam_role_policy.events_forward.policy).Statement[0].Resource) == toset(["arn:aws:events:us-east-1:222222222222:event-bus/churn-dev", "arn:aws:events:us-east-1:333333333333:event-bus/churn-staging", "arn:aws:events:us-east-1:444444444444:event-bus/churn-prod"])
    error_message = "Exactly the three stage buses."
  }
  assert {
    condition     = toset([for t in aws_cloudwatch_event_target.rejection : t.arn]) == toset(["arn:aws:events:us-east-1:333333333333:event-bus/churn-staging", "arn:aws:events:us-east-1:444444444444:event-bus/churn-prod"])
    error_message = "Rejections are forwarded to every later stage's bus."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.rejection[0].event_pattern).detail.ModelApprovalStatus == ["Rejected"]
    error_message = "The later stages get rejections only; approvals reach them through promotion."
  }
  assert {
    condition     = jsondecode(aws_iam_role.events_forward.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "111111111111"
    error_message = "The events role trust must carry aws:SourceAccount."
  }
}

run "organization_condition" {
  variables {
    organization_id = "o-abcdefghij"
  }
  assert {
    condition     = jsondecode(aws_iam_role.deployer["dev"].assume_role_policy).Statement[0].Condition.StringEquals["aws:PrincipalOrgID"] == "o-abcdefghij"
    error_message = "With organization_id the trust must require aws:PrincipalOrgID."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageExecutionRolesReadArtifacts"
    ]).Condition.StringEquals["aws:PrincipalOrgID"] == "o-abcdefghij"
    error_message = "With organization_id the bucket grant must require aws:PrincipalOrgID."
  }
}

run "stage_region_override" {
  variables {
    stages = [{ name = "dev", account_id = "222222222222", region = "eu-west-1" }]
  }
  assert {
    condition     = aws_cloudwatch_event_target.this.arn == "arn:aws:events:eu-west-1:222222222222:event-bus/churn-dev"
    error_message = "The first stage bus must use the stage's region."
  }
}

# Every validation block rejects bad input.

run "invalid_project" {
  command = plan
  variables {
    project = "Churn_Model"
  }
  expect_failures = [var.project]
}

run "invalid_no_stages" {
  command = plan
  variables {
    stages = []
  }
  expect_failures = [var.stages]
}

run "invalid_stage_name" {
  command = plan
  variables {
    stages = [{ name = "Dev", account_id = "222222222222" }]
  }
  expect_failures = [var.stages]
}

run "invalid_stage_account" {
  command = plan
  variables {
    stages = [{ name = "dev", account_id = "2222" }]
  }
  expect_failures = [var.stages]
}

run "invalid_duplicate_stage" {
  command = plan
  variables {
    stages = [{ name = "dev", account_id = "222222222222" }, { name = "dev", account_id = "333333333333" }]
  }
  expect_failures = [var.stages]
}

run "invalid_stage_region" {
  command = plan
  variables {
    stages = [{ name = "dev", account_id = "222222222222", region = "nowhere" }]
  }
  expect_failures = [var.stages]
}

run "invalid_organization_id" {
  command = plan
  variables {
    organization_id = "org-1"
  }
  expect_failures = [var.organization_id]
}

run "invalid_kms_window" {
  command = plan
  variables {
    kms_deletion_window_in_days = 3
  }
  expect_failures = [var.kms_deletion_window_in_days]
}

run "invalid_noncurrent_days" {
  command = plan
  variables {
    noncurrent_version_expiration_days = 0
  }
  expect_failures = [var.noncurrent_version_expiration_days]
}
