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
  platform = "churn"
  stages = [
    { name = "dev", account_id = "222222222222" },
    { name = "staging", account_id = "333333333333" },
    { name = "prod", account_id = "444444444444" },
  ]
}

run "names" {
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
      ]).Condition.ArnLike["aws:PrincipalArn"] == [
      "arn:aws:iam::222222222222:role/churn-*-sagemaker-execution",
      "arn:aws:iam::333333333333:role/churn-*-sagemaker-execution",
      "arn:aws:iam::444444444444:role/churn-*-sagemaker-execution",
    ]
    error_message = "GetObject is narrowed to the models' execution roles (<platform>-*-sagemaker-execution in each stage account)."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageCodeBuildRolesPreflightArtifacts"
      ]).Condition.ArnLike["aws:PrincipalArn"] == [
      "arn:aws:iam::222222222222:role/churn-*-codebuild",
      "arn:aws:iam::333333333333:role/churn-*-codebuild",
      "arn:aws:iam::444444444444:role/churn-*-codebuild",
    ]
    error_message = "The stage CodeBuild roles may read (HeadObject) the artifacts, narrowed to the models' CodeBuild roles."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageCodeBuildRolesPreflightArtifacts"
      ]).Action == ["s3:GetObject"] && one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageCodeBuildRolesPreflightArtifacts"
    ]).Resource == ["arn:aws:s3:::churn-artifacts-111111111111/*"]
    error_message = "The CodeBuild roles get GetObject on the objects only."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageRolesListArtifacts"
    ]).Action == ["s3:ListBucket"]
    error_message = "Listing is ListBucket only (GetBucketLocation is not used)."
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
    ]).Action == ["kms:Decrypt"]
    error_message = "Stage execution roles may only decrypt."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Sid == "StageExecutionRolesDecryptArtifacts"
    ]).Condition.StringEquals["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    error_message = "The execution roles decrypt artifacts through S3 only."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Sid == "StageExecutionRolesDecryptArtifacts"
      ]).Condition.ArnLike["aws:PrincipalArn"] == [
      "arn:aws:iam::222222222222:role/churn-*-sagemaker-execution",
      "arn:aws:iam::333333333333:role/churn-*-sagemaker-execution",
      "arn:aws:iam::444444444444:role/churn-*-sagemaker-execution",
    ]
    error_message = "The key policy names the models' execution roles by pattern: it stays the same as models come and go."
  }
  assert {
    condition     = !contains([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid], "DeployerRolesUseForLedger")
    error_message = "The deployer roles are in this account: the key delegates to IAM, and their policies narrow it to DynamoDB."
  }
}

run "event_forwarding" {
  assert {
    condition     = length(jsondecode(aws_iam_role_policy.events_forward.policy).Statement) == 1 && jsondecode(aws_iam_role_policy.events_forward.policy).Statement[0].Action == "events:PutEvents" && contains(jsondecode(aws_iam_role_policy.events_forward.policy).Statement[0].Resource, "arn:aws:events:us-east-1:222222222222:event-bus/churn-*")
    error_message = "The forwarding role may only PutEvents, on the stage buses."
  }
  assert {
    condition     = toset(jsondecode(aws_iam_role_policy.events_forward.policy).Statement[0].Resource) == toset(["arn:aws:events:us-east-1:222222222222:event-bus/churn-*", "arn:aws:events:us-east-1:333333333333:event-bus/churn-*", "arn:aws:events:us-east-1:444444444444:event-bus/churn-*"])
    error_message = "The platform's buses (<prefix>-<stage>, prefix inside <platform>-*) in exactly the three stage accounts."
  }
  assert {
    condition     = jsondecode(aws_iam_role.events_forward.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "111111111111"
    error_message = "The events role trust must carry aws:SourceAccount."
  }
  assert {
    condition     = jsondecode(aws_iam_role.events_forward.assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == ["arn:aws:events:us-east-1:111111111111:rule/churn-*-forward"]
    error_message = "The events role trust names the platform's forwarding rules of this account (aws:SourceArn)."
  }
}

run "organization_condition" {
  variables {
    organization_id = "o-abcdefghij"
  }
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageExecutionRolesReadArtifacts"
    ]).Condition.StringEquals["aws:PrincipalOrgID"] == "o-abcdefghij"
    error_message = "With organization_id the bucket grant must require aws:PrincipalOrgID."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Sid == "StageExecutionRolesDecryptArtifacts"
      ]).Condition.StringEquals == {
      "aws:PrincipalOrgID" = "o-abcdefghij"
      "kms:ViaService"     = "s3.us-east-1.amazonaws.com"
    }
    error_message = "The organization condition is merged with kms:ViaService, not replacing it."
  }
}

run "forwarding_role_serves_every_model" {
  variables {
    stages = [{ name = "dev", account_id = "222222222222" }]
  }
  assert {
    condition     = jsondecode(aws_iam_role.events_forward.assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == ["arn:aws:events:us-east-1:111111111111:rule/churn-*-forward"]
    error_message = "The forwarding role is used by every model's forwarding rules (<prefix>-model-approval-forward and -rejection-forward)."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.events_forward.policy).Statement[0].Resource == ["arn:aws:events:us-east-1:222222222222:event-bus/churn-*"]
    error_message = "It may put events on the platform's buses in the stage accounts only."
  }
}

run "ecr_repository_policy" {
  variables {
    ecr_repository_names = ["churn-inference", "ml/churn-batch"]
  }
  assert {
    condition     = toset(keys(aws_ecr_repository_policy.this)) == toset(["churn-inference", "ml/churn-batch"])
    error_message = "One repository policy per named repository."
  }
  assert {
    condition     = toset(jsondecode(aws_ecr_repository_policy.this["churn-inference"].policy).Statement[0].Action) == toset(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
    error_message = "The execution roles may pull: BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability."
  }
  assert {
    condition = jsondecode(aws_ecr_repository_policy.this["churn-inference"].policy).Statement[0].Condition.ArnLike["aws:PrincipalArn"] == [
      "arn:aws:iam::222222222222:role/churn-*-sagemaker-execution",
      "arn:aws:iam::333333333333:role/churn-*-sagemaker-execution",
      "arn:aws:iam::444444444444:role/churn-*-sagemaker-execution",
    ]
    error_message = "Pulls are narrowed to the stage execution roles."
  }
  assert {
    condition     = toset(jsondecode(aws_ecr_repository_policy.this["churn-inference"].policy).Statement[0].Principal.AWS) == toset(["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:root"])
    error_message = "The principals are the stage accounts."
  }
  assert {
    condition     = output.ecr_repository_policy_names == tolist(["churn-inference", "ml/churn-batch"])
    error_message = "The output lists the repositories with a pull policy."
  }
}

run "no_ecr_repository_policy_by_default" {
  assert {
    condition     = length(aws_ecr_repository_policy.this) == 0
    error_message = "No repository policy unless repositories are named."
  }
}

run "invalid_project" {
  command = plan
  variables {
    platform = "Churn_Model"
  }
  expect_failures = [var.platform]
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

run "invalid_ecr_repository_name" {
  command = plan
  variables {
    ecr_repository_names = ["Churn_Inference!"]
  }
  expect_failures = [var.ecr_repository_names]
}

run "invalid_duplicate_ecr_repository" {
  command = plan
  variables {
    ecr_repository_names = ["churn-inference", "churn-inference"]
  }
  expect_failures = [var.ecr_repository_names]
}

# Producer (training) accounts: exact roles may register versions, never approve them by default.
run "producers_register_but_do_not_approve" {
  variables {
    producer_role_arns = ["arn:aws:iam::555555555555:role/churn-training"]
  }
  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "ProducersWriteArtifacts"
    ]).Resource == ["arn:aws:s3:::churn-artifacts-111111111111/models/*"]
    error_message = "Producers write artifacts under models/ only."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s if s.Sid == "ProducersEncryptArtifacts"
    ]).Condition.StringEquals["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    error_message = "Producers use the registry key only through S3."
  }
}

run "producer_role_arns_must_be_role_arns" {
  command = plan
  variables {
    producer_role_arns = ["555555555555"]
  }
  expect_failures = [var.producer_role_arns]
}
