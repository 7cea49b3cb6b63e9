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
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s.Action if s.Sid == "RegistryMirrorMarks"
    ]), "sagemaker:UpdateModelPackage")
    error_message = "The deployer must be able to mirror its marks."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s.Resource if startswith(s.Sid, "Ledger") && s.Sid != "LedgerEncryption"
    ])) == toset(["arn:aws:dynamodb:us-east-1:111111111111:table/churn-ledger"])
    error_message = "Ledger access must be on the ledger table only."
  }
  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s.Resource if s.Sid == "LedgerEncryption"
    ]) == [aws_kms_key.this.arn]
    error_message = "KMS use must be on the registry key only."
  }
  assert {
    condition = length(setintersection(toset(flatten([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s.Action
    ])), toset(["dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:Scan", "dynamodb:BatchWriteItem"]))) == 0
    error_message = "The deployer uses no ConditionCheckItem, DescribeTable, Scan or BatchWriteItem: none is granted."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if s.Sid == "RegistryGroupExists"
    ]).Resource == ["arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn"]
    error_message = "DescribeModelPackageGroup is on the group only."
  }
}

# One policy per stage: each writes only its own ledger items and marks.
run "deployer_policy_per_stage_ledger" {
  assert {
    condition     = aws_iam_role_policy.deployer["dev"].policy != aws_iam_role_policy.deployer["staging"].policy
    error_message = "Every stage's deployer role has a policy of its own."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if s.Sid == "LedgerWriteOwnStage"
    ]).Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["STAGE#dev", "LOCK#churn-dev", "VERSION#*"]
    error_message = "dev writes only STAGE#dev, its lock LOCK#churn-dev and VERSION# rows."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["prod"].policy).Statement : s if s.Sid == "LedgerWriteOwnStage"
    ]).Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["STAGE#prod", "LOCK#churn-prod", "VERSION#*"]
    error_message = "prod writes only STAGE#prod, its lock and VERSION# rows."
  }
  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if s.Sid == "LedgerWriteOwnStage"
    ]).Action) == toset(["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])
    error_message = "Ledger writes are PutItem, UpdateItem and DeleteItem (TransactWriteItems is authorized per item)."
  }
  assert {
    condition = alltrue([
      for name in ["dev", "staging", "prod"] : alltrue([
        for s in jsondecode(aws_iam_role_policy.deployer[name].policy).Statement :
        can(s.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]) if length([for a in flatten([s.Action]) : a if startswith(a, "dynamodb:")]) > 0
      ])
    ])
    error_message = "Every DynamoDB grant is limited with dynamodb:LeadingKeys."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["staging"].policy).Statement : s if s.Sid == "LedgerRead"
    ]).Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["STAGE#staging", "STAGE#dev", "LOCK#churn-staging", "VERSION#*"]
    error_message = "staging reads its own items and dev's (the verified marks it promotes from)."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if s.Sid == "LedgerRead"
    ]).Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["STAGE#dev", "LOCK#churn-dev", "VERSION#*"]
    error_message = "The first stage reads only its own items."
  }
}

run "deployer_policy_registry_marks" {
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if s.Sid == "DenyApprovalStatusChange"
      ]) == {
      Sid       = "DenyApprovalStatusChange"
      Effect    = "Deny"
      Action    = ["sagemaker:UpdateModelPackage"]
      Resource  = ["arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*"]
      Condition = { Null = { "sagemaker:ModelApprovalStatus" = "false" } }
    }
    error_message = "An explicit Deny stops the deployer from setting ModelApprovalStatus."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if s.Sid == "DenyRemovingOtherMarks"
    ]).Condition["ForAnyValue:StringNotEquals"]["sagemaker:CustomerMetadataPropertiesToRemove"] == ["deployer:verified:dev", "deployer:live:dev", "deployer:rolled-back:dev"]
    error_message = "dev may remove only its own mark keys."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : keys(s.Condition.Null) if startswith(s.Sid, "DenyOtherStageMark")
      ])) == toset([
      "sagemaker:CustomerMetadataProperties/deployer:verified:staging",
      "sagemaker:CustomerMetadataProperties/deployer:live:staging",
      "sagemaker:CustomerMetadataProperties/deployer:rolled-back:staging",
      "sagemaker:CustomerMetadataProperties/deployer:verified:prod",
      "sagemaker:CustomerMetadataProperties/deployer:live:prod",
      "sagemaker:CustomerMetadataProperties/deployer:rolled-back:prod",
    ])
    error_message = "dev is denied setting every mark key of staging and prod, one Deny per key."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement :
      s.Effect == "Deny" && s.Action == ["sagemaker:UpdateModelPackage"] && values(s.Condition.Null) == ["false"] if startswith(s.Sid, "DenyOtherStageMark")
    ])
    error_message = "The per-key Denies apply to UpdateModelPackage when the key is in the request."
  }
  assert {
    condition = length([
      for s in [for s in jsondecode(aws_iam_role_policy.deployer["staging"].policy).Statement : s if startswith(s.Sid, "DenyOtherStageMark")] : s
      if anytrue([for k in keys(s.Condition.Null) : endswith(k, ":staging")])
    ]) == 0
    error_message = "staging is not denied its own mark keys."
  }
}

run "deployer_policies_fit_iam_limits" {
  assert {
    condition     = alltrue([for name in ["dev", "staging", "prod"] : length(aws_iam_role_policy.deployer[name].policy) <= 10240])
    error_message = "Each deployer policy must fit IAM's 10,240 characters for a role's inline policies."
  }
}

run "group_policy_principals" {
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Principal.AWS if s.Sid == "StageCodeBuildRolesDescribe"
    ])) == toset(["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:root"])
    error_message = "The group policy must name each stage account root."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Condition.ArnEquals["aws:PrincipalArn"] if s.Sid == "StageCodeBuildRolesDescribe"
      ])) == toset([
      "arn:aws:iam::222222222222:role/churn-dev-codebuild",
      "arn:aws:iam::333333333333:role/churn-staging-codebuild",
      "arn:aws:iam::444444444444:role/churn-prod-codebuild",
    ])
    error_message = "The group policy must narrow the stage roots to exactly the CodeBuild roles (preflight and CreateModel)."
  }
  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Action
    ])) == toset(["sagemaker:DescribeModelPackage"])
    error_message = "The group policy grants only DescribeModelPackage (listing is the deployer roles' job)."
  }
  assert {
    condition     = length(jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement) == 1
    error_message = "No statement for the deployer roles: they are in this account and read through their own policy."
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
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s if s.Sid == "StageCodeBuildRolesPreflightArtifacts"
      ]).Condition.ArnEquals["aws:PrincipalArn"] == [
      "arn:aws:iam::222222222222:role/churn-dev-codebuild",
      "arn:aws:iam::333333333333:role/churn-staging-codebuild",
      "arn:aws:iam::444444444444:role/churn-prod-codebuild",
    ]
    error_message = "The stage CodeBuild roles may read (HeadObject) the artifacts, narrowed to their exact ARNs."
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
      ]).Condition.ArnEquals["aws:PrincipalArn"] == [
      "arn:aws:iam::222222222222:role/churn-dev-sagemaker-execution",
      "arn:aws:iam::333333333333:role/churn-staging-sagemaker-execution",
      "arn:aws:iam::444444444444:role/churn-prod-sagemaker-execution",
    ]
    error_message = "The execution roles must be named exactly in the key policy."
  }
  assert {
    condition     = !contains([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid], "DeployerRolesUseForLedger")
    error_message = "The deployer roles are in this account: the key delegates to IAM, and their policies narrow it to DynamoDB."
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
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail["$or"] == [{ UpdatedModelPackageFields = ["ModelApprovalStatus"] }, { UpdatedModelPackageFields = [{ exists = false }] }] && jsondecode(aws_cloudwatch_event_rule.rejection[0].event_pattern).detail["$or"] == jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail["$or"]
    error_message = "Only a status update or a creation is forwarded, never a metadata-only update (the deployer's marks)."
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
  assert {
    condition = jsondecode(aws_iam_role.events_forward.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == [
      "arn:aws:events:us-east-1:111111111111:rule/churn-model-approval-forward",
      "arn:aws:events:us-east-1:111111111111:rule/churn-model-rejection-forward",
    ]
    error_message = "The events role trust names the exact forwarding rules (aws:SourceArn)."
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

run "single_stage_has_no_rejection_rule_or_cross_stage_denies" {
  variables {
    stages = [{ name = "dev", account_id = "222222222222" }]
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if startswith(s.Sid, "DenyOtherStageMark")]) == 0
    error_message = "With one stage there are no other stages' marks to deny."
  }
  assert {
    condition     = jsondecode(aws_iam_role.events_forward.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == ["arn:aws:events:us-east-1:111111111111:rule/churn-model-approval-forward"]
    error_message = "Without later stages the forwarding role is used by the approval rule only."
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
    condition = jsondecode(aws_ecr_repository_policy.this["churn-inference"].policy).Statement[0].Condition.ArnEquals["aws:PrincipalArn"] == [
      "arn:aws:iam::222222222222:role/churn-dev-sagemaker-execution",
      "arn:aws:iam::333333333333:role/churn-staging-sagemaker-execution",
      "arn:aws:iam::444444444444:role/churn-prod-sagemaker-execution",
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

run "invalid_role_name_length" {
  command = plan
  variables {
    project = "a-rather-long-project-name-for-roles"
    stages  = [{ name = "integration-eu-west", account_id = "222222222222" }]
  }
  expect_failures = [var.stages]
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
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s if s.Sid == "ProducersRegisterVersions"
    ]).Condition.StringNotEquals["sagemaker:ModelApprovalStatus"] == "Approved"
    error_message = "Producers may create versions only when they are not Approved."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s if s.Sid == "ProducersRegisterVersions"
    ]).Action == ["sagemaker:CreateModelPackage"]
    error_message = "Without producers_can_approve, producers may not UpdateModelPackage (that is how versions get approved)."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement :
      s.Condition.ArnEquals["aws:PrincipalArn"] == ["arn:aws:iam::555555555555:role/churn-training"] if startswith(s.Sid, "Producers")
    ])
    error_message = "Producer grants name the exact producer roles."
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

run "producers_can_approve_when_configured" {
  variables {
    producer_role_arns    = ["arn:aws:iam::555555555555:role/churn-training"]
    producers_can_approve = true
  }
  assert {
    condition = one([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s if s.Sid == "ProducersRegisterVersions"
    ]).Action == ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"]
    error_message = "producers_can_approve grants UpdateModelPackage too."
  }
}

run "no_producers_no_producer_grants" {
  assert {
    condition = length([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s if startswith(s.Sid, "Producers")
    ]) == 0
    error_message = "Without producer_role_arns, nothing is granted to producers."
  }
}

run "producer_role_arns_must_be_role_arns" {
  command = plan
  variables {
    producer_role_arns = ["555555555555"]
  }
  expect_failures = [var.producer_role_arns]
}
