# Plan/apply-time unit tests of one model's registry side, against a mocked AWS provider (no credentials, no network).

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
      arn = "arn:aws:dynamodb:us-east-1:111111111111:table/ml-ledger"
    }
  }
  mock_resource "aws_sagemaker_model_package_group" {
    defaults = {
      arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/ml-churn"
    }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:us-east-1:111111111111:rule/ml-churn-model-approval-forward"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
    }
  }
}

variables {
  platform                = "ml"
  model                   = "churn"
  prefix                  = "ml-churn"
  ledger_table_arn        = "arn:aws:dynamodb:us-east-1:111111111111:table/ml-ledger"
  kms_key_arn             = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
  artifact_bucket_arn     = "arn:aws:s3:::ml-artifacts-111111111111"
  events_forward_role_arn = "arn:aws:iam::111111111111:role/ml-registry-events-forward"
  stages = [
    { name = "dev", account_id = "222222222222" },
    { name = "staging", account_id = "333333333333" },
    { name = "prod", account_id = "444444444444" },
  ]
}

run "names" {
  assert {
    condition     = aws_sagemaker_model_package_group.this.model_package_group_name == "ml-churn"
    error_message = "The model package group is named after the model's prefix."
  }
  assert {
    condition     = toset(keys(aws_iam_role.deployer)) == toset(["dev", "staging", "prod"])
    error_message = "One deployer role per stage."
  }
  assert {
    condition     = aws_iam_role.deployer["staging"].name == "ml-churn-deployer-staging"
    error_message = "Deployer roles must be <prefix>-deployer-<stage>."
  }
}

run "deployer_trust_is_exact" {
  assert {
    condition     = jsondecode(aws_iam_role.deployer["dev"].assume_role_policy).Statement[0].Principal.AWS == "arn:aws:iam::222222222222:root"
    error_message = "The dev deployer role must trust the dev account root (narrowed by PrincipalArn)."
  }
  assert {
    condition     = jsondecode(aws_iam_role.deployer["dev"].assume_role_policy).Statement[0].Condition.ArnEquals["aws:PrincipalArn"] == "arn:aws:iam::222222222222:role/ml-churn-dev-codebuild"
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
    ])) == toset(["arn:aws:dynamodb:us-east-1:111111111111:table/ml-ledger"])
    error_message = "Ledger access must be on the ledger table only."
  }
  assert {
    condition = flatten([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s.Resource if s.Sid == "LedgerEncryption"
    ]) == [var.kms_key_arn]
    error_message = "KMS use must be on the registry key only."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : [s.Action, s.Resource] if s.Sid == "RegistryMetricsRead"
    ] == [[["s3:GetObject"], ["arn:aws:s3:::ml-artifacts-111111111111/models/*"]]]
    error_message = "The metric gate reads the registered metrics documents under models/ of the artifact bucket, nothing else."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : [s.Resource, s.Condition.StringEquals["kms:ViaService"]] if s.Sid == "RegistryMetricsDecrypt"
    ] == [[[var.kms_key_arn], "s3.us-east-1.amazonaws.com"]]
    error_message = "The metrics documents are decrypted with the registry key, through S3 only."
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
    ]).Resource == ["arn:aws:sagemaker:us-east-1:111111111111:model-package-group/ml-churn"]
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
    ]).Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["MODEL#churn#STAGE#dev", "LOCK#ml-churn-dev", "MODEL#churn#VERSION#*"]
    error_message = "dev writes only STAGE#dev, its lock LOCK#churn-dev and VERSION# rows."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["prod"].policy).Statement : s if s.Sid == "LedgerWriteOwnStage"
    ]).Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["MODEL#churn#STAGE#prod", "LOCK#ml-churn-prod", "MODEL#churn#VERSION#*"]
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
    ]).Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["MODEL#churn#STAGE#staging", "MODEL#churn#STAGE#dev", "LOCK#ml-churn-staging", "MODEL#churn#VERSION#*"]
    error_message = "staging reads its own items and dev's (the verified marks it promotes from)."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if s.Sid == "LedgerRead"
    ]).Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["MODEL#churn#STAGE#dev", "LOCK#ml-churn-dev", "MODEL#churn#VERSION#*"]
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
      Resource  = ["arn:aws:sagemaker:us-east-1:111111111111:model-package/ml-churn/*"]
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
      "arn:aws:iam::222222222222:role/ml-churn-dev-codebuild",
      "arn:aws:iam::333333333333:role/ml-churn-staging-codebuild",
      "arn:aws:iam::444444444444:role/ml-churn-prod-codebuild",
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

run "event_forwarding" {
  assert {
    condition     = aws_cloudwatch_event_target.this.arn == "arn:aws:events:us-east-1:222222222222:event-bus/ml-churn-dev"
    error_message = "Approvals must be forwarded to the first stage's bus."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail.ModelPackageGroupName == ["ml-churn"]
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
    condition     = toset([for t in aws_cloudwatch_event_target.rejection : t.arn]) == toset(["arn:aws:events:us-east-1:333333333333:event-bus/ml-churn-staging", "arn:aws:events:us-east-1:444444444444:event-bus/ml-churn-prod"])
    error_message = "Rejections are forwarded to every later stage's bus."
  }
  assert {
    condition     = aws_cloudwatch_event_target.this.role_arn == var.events_forward_role_arn && alltrue([for t in aws_cloudwatch_event_target.rejection : t.role_arn == var.events_forward_role_arn])
    error_message = "The rules put events with the platform's shared forwarding role."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.this.name == "ml-churn-model-approval-forward" && aws_cloudwatch_event_rule.rejection[0].name == "ml-churn-model-rejection-forward"
    error_message = "The forwarding rules are named <prefix>-model-approval-forward and -rejection-forward (the shared role trusts <platform>-*-forward)."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.rejection[0].event_pattern).detail.ModelApprovalStatus == ["Rejected"]
    error_message = "The later stages get rejections only; approvals reach them through promotion."
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
}

run "single_stage_has_no_rejection_rule_or_cross_stage_denies" {
  variables {
    stages = [{ name = "dev", account_id = "222222222222" }]
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.deployer["dev"].policy).Statement : s if startswith(s.Sid, "DenyOtherStageMark")]) == 0
    error_message = "With one stage there are no other stages' marks to deny."
  }
}

run "stage_region_override" {
  variables {
    stages = [{ name = "dev", account_id = "222222222222", region = "eu-west-1" }]
  }
  assert {
    condition     = aws_cloudwatch_event_target.this.arn == "arn:aws:events:eu-west-1:222222222222:event-bus/ml-churn-dev"
    error_message = "The first stage bus must use the stage's region."
  }
}

# Every validation block rejects bad input.

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

# Two models of one platform: neither's deployer roles reach the other's ledger keys, lock, group or packages.
run "other_model_out_of_reach" {
  variables {
    model  = "fraud"
    prefix = "ml-fraud"
  }
  assert {
    condition = alltrue([
      for name in ["dev", "staging", "prod"] : alltrue([
        for s in jsondecode(aws_iam_role_policy.deployer[name].policy).Statement :
        alltrue([for k in try(s.Condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"], []) : startswith(k, "MODEL#fraud#") || startswith(k, "LOCK#ml-fraud-")])
      ])
    ])
    error_message = "Every ledger key the fraud roles may touch carries fraud's name (MODEL#fraud#...) or its endpoint's lock."
  }
  assert {
    condition = alltrue([
      for name in ["dev", "staging", "prod"] : alltrue([
        for s in jsondecode(aws_iam_role_policy.deployer[name].policy).Statement :
        alltrue([for r in flatten([s.Resource]) : !strcontains(r, "ml-churn")])
      ])
    ])
    error_message = "No fraud deployer grant names a churn resource."
  }
}
