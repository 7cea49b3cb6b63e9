# Unit tests against a mocked AWS provider: names, policies, pipeline shape, rendered config.

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

run "names" {
  assert {
    condition     = aws_codecommit_repository.this[0].repository_name == "churn-dev"
    error_message = "The repository must be <project>-<stage>."
  }
  assert {
    condition     = aws_codepipeline.this.name == "churn-dev" && aws_iam_role.pipeline.name == "churn-dev-pipeline"
    error_message = "Pipeline and pipeline role names."
  }
  assert {
    condition     = aws_iam_role.codebuild.name == "churn-dev-codebuild" && aws_iam_role.execution.name == "churn-dev-sagemaker-execution"
    error_message = "CodeBuild and execution role names."
  }
  assert {
    condition     = aws_codebuild_project.this["deploy"].name == "churn-dev-deploy" && aws_codebuild_project.this["test"].name == "churn-dev-test" && aws_codebuild_project.this["promote"].name == "churn-dev-promote"
    error_message = "CodeBuild project names."
  }
  assert {
    condition     = aws_iam_role.codebuild_test.name == "churn-dev-codebuild-test"
    error_message = "The test role is <project>-<stage>-codebuild-test."
  }
  assert {
    condition     = aws_cloudwatch_event_bus.this.name == "churn-dev"
    error_message = "The event bus must be <project>-<stage>."
  }
  assert {
    condition     = aws_s3_bucket.this["data-capture"].bucket == "churn-dev-data-capture-222222222222"
    error_message = "The data capture bucket must be <project>-<stage>-data-capture-<account id>."
  }
  assert {
    condition     = output.endpoint_name == "churn-dev"
    error_message = "The endpoint must be <project>-<stage>."
  }
  assert {
    condition     = output.alarm_names == ["churn-dev-invocation-5xx", "churn-dev-model-latency"]
    error_message = "Alarm names."
  }
}

run "pipeline_without_approval" {
  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == ["Source", "Deploy", "Test", "Promote"]
    error_message = "dev has no approval stage: Source, Deploy, Test, Promote."
  }
  assert {
    condition     = aws_codepipeline.this.pipeline_type == "V2" && aws_codepipeline.this.execution_mode == "QUEUED"
    error_message = "The pipeline must be V2 in QUEUED mode."
  }
  assert {
    condition     = one(one(aws_codepipeline.this.artifact_store).encryption_key).type == "KMS" && one(one(aws_codepipeline.this.artifact_store).encryption_key).id == aws_kms_key.this.arn
    error_message = "The artifact store must be encrypted with the stage key."
  }
  assert {
    condition     = aws_codepipeline.this.stage[0].action[0].provider == "CodeCommit" && aws_codepipeline.this.stage[0].action[0].configuration.PollForSourceChanges == "false"
    error_message = "CodeCommit source without polling (EventBridge starts the pipeline)."
  }
  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.action[0].configuration.ProjectName if s.name != "Source"] == ["churn-dev-deploy", "churn-dev-test", "churn-dev-promote"]
    error_message = "Deploy, then the team's Test, then the platform's Promote."
  }
  assert {
    condition     = output.requires_approval == false
    error_message = "dev does not require approval by default."
  }
}

run "codebuild_projects" {
  assert {
    condition     = alltrue([for k, p in aws_codebuild_project.this : p.source[0].type == "CODEPIPELINE" && p.artifacts[0].type == "CODEPIPELINE" if k != "teardown"])
    error_message = "The pipeline's projects take CODEPIPELINE source and artifacts."
  }
  assert {
    condition     = aws_codebuild_project.this["teardown"].source[0].type == "NO_SOURCE" && aws_codebuild_project.this["teardown"].artifacts[0].type == "NO_ARTIFACTS"
    error_message = "Teardown runs outside the pipeline: no source, no artifacts (its config comes from SSM)."
  }
  assert {
    condition = yamldecode(aws_codebuild_project.this["teardown"].source[0].buildspec).phases.build.commands == [
      "deployer teardown --stage \"$STAGE\" --yes --reason \"$${TEARDOWN_REASON:-teardown build $CODEBUILD_BUILD_ID started by $CODEBUILD_INITIATOR}\"",
    ]
    error_message = "Teardown runs deployer teardown, confirmed, with the operator's reason or who started it."
  }
  assert {
    condition     = aws_codebuild_project.this["teardown"].service_role == aws_iam_role.codebuild.arn && !contains([for s in aws_codepipeline.this.stage : s.action[0].configuration.ProjectName if s.name != "Source"], "churn-dev-teardown")
    error_message = "Teardown runs as the platform role and is no pipeline action."
  }
  assert {
    condition     = aws_codebuild_project.this["test"].source[0].buildspec == "buildspecs/test.yml"
    error_message = "Only the Test action's buildspec comes from the repository."
  }
  assert {
    condition = alltrue([
      for k in ["deploy", "promote"] : yamldecode(aws_codebuild_project.this[k].source[0].buildspec).version == 0.2
    ])
    error_message = "Deploy and Promote carry their buildspec inline (YAML from Terraform), not a path in the repository."
  }
  assert {
    condition = yamldecode(aws_codebuild_project.this["deploy"].source[0].buildspec).phases.build.commands == [
      "deployer plan --stage \"$STAGE\" $${DEPLOYER_MODEL_VERSION:+--model-version \"$DEPLOYER_MODEL_VERSION\"}",
      "deployer deploy --stage \"$STAGE\" $${DEPLOYER_MODEL_VERSION:+--model-version \"$DEPLOYER_MODEL_VERSION\"}",
    ]
    error_message = "Deploy runs the platform's commands: deployer plan and deployer deploy."
  }
  assert {
    condition = yamldecode(aws_codebuild_project.this["promote"].source[0].buildspec).phases.build.commands == [
      "deployer test --stage \"$STAGE\" --junit-xml reports/smoke.xml",
      "deployer promote --stage \"$STAGE\"",
    ]
    error_message = "Promote runs the smoke cases with the platform's code, then deployer promote."
  }
  assert {
    condition     = yamldecode(aws_codebuild_project.this["promote"].source[0].buildspec).reports.smoke["file-format"] == "JUNITXML"
    error_message = "Promote reports its smoke run to CodeBuild (report group churn-dev-promote-smoke)."
  }
  assert {
    condition = alltrue([
      for k in ["deploy", "promote"] : alltrue([
        for c in yamldecode(aws_codebuild_project.this[k].source[0].buildspec).phases.install.commands :
        strcontains(c, "$(mktemp -d)") && !strcontains(c, ".deployer/") && !strcontains(c, "python -m")
      ])
    ])
    error_message = "The platform buildspecs install the wheel from outside the source directory, so the repository cannot substitute it."
  }
  assert {
    condition     = alltrue([for p in aws_codebuild_project.this : !p.environment[0].privileged_mode && p.encryption_key == aws_kms_key.this.arn])
    error_message = "No privileged mode; encryption with the stage key."
  }
  assert {
    condition     = { for e in aws_codebuild_project.this["deploy"].environment[0].environment_variable : e.name => e.value }["DEPLOYER_WHEEL_S3_URI"] == "s3://churn-dev-pipeline-222222222222/deployer/deployer-0.0.0/sha256-${filesha256("tests/fixtures/dist/deployer-0.0.0-py3-none-any.whl")}/deployer-0.0.0-py3-none-any.whl"
    error_message = "DEPLOYER_WHEEL_S3_URI must point at the uploaded wheel, under its version and sha256."
  }
  assert {
    condition     = { for e in aws_codebuild_project.this["test"].environment[0].environment_variable : e.name => e.value }["STAGE"] == "dev"
    error_message = "STAGE must be set."
  }
  assert {
    condition     = aws_s3_object.deployer_wheel[0].key == "deployer/deployer-0.0.0/sha256-${filesha256("tests/fixtures/dist/deployer-0.0.0-py3-none-any.whl")}/deployer-0.0.0-py3-none-any.whl" && aws_s3_object.deployer_wheel[0].source_hash == filemd5("tests/fixtures/dist/deployer-0.0.0-py3-none-any.whl")
    error_message = "The wheel is uploaded under deployer/<distribution>-<version>/sha256-<hex>/ and tracked by its MD5."
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 365 && g.kms_key_id == aws_kms_key.this.arn])
    error_message = "Build log groups have retention and KMS."
  }
}

run "codebuild_policy" {
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement :
      alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])
    ])
    error_message = "No wildcard actions in the CodeBuild policy."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "AssumeRegistryDeployerRole"
    ]).Resource == ["arn:aws:iam::111111111111:role/churn-deployer-dev"]
    error_message = "CodeBuild may assume exactly the tooling deployer role of its stage."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "PassExecutionRole"
    ]).Condition.StringEquals["iam:PassedToService"] == "sagemaker.amazonaws.com"
    error_message = "PassRole must require iam:PassedToService = sagemaker.amazonaws.com."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "PassExecutionRole"
    ]).Resource == [aws_iam_role.execution.arn]
    error_message = "PassRole must be on the execution role only."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "PromoteToNextStage"
    ]).Resource == ["arn:aws:events:us-east-1:333333333333:event-bus/churn-staging"]
    error_message = "PutEvents on exactly the next stage's bus."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "EndpointLifecycle"
      ]).Resource == [
      "arn:aws:sagemaker:us-east-1:222222222222:endpoint/churn-dev",
      "arn:aws:sagemaker:us-east-1:222222222222:endpoint-config/churn-dev-v*",
      "arn:aws:sagemaker:us-east-1:222222222222:model/churn-dev-v*",
    ]
    error_message = "SageMaker actions are scoped to this stage's endpoint (exact) and the deployer's <endpoint>-v<version>-<hash> configs and models (delimited, so churn-dev2 does not match)."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement :
      flatten([s.Resource]) != ["*"] || contains(["EndpointCleanupLists", "AutoscalingDescribe", "AutoscalingEndpointVariant"], s.Sid)
    ])
    error_message = "Only actions without resource-level permissions use Resource \"*\"."
  }
  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : [
        for r in flatten([s.Resource]) : !can(regex("churn-dev\\*", r))
      ]
    ]))
    error_message = "No resource pattern churn-dev* without a delimiter."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "ExecutionRolePreflight"
    ]).Action == ["iam:GetRole"] && one([for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "ExecutionRolePreflight"]).Resource == [aws_iam_role.execution.arn]
    error_message = "Preflight may GetRole the execution role, and only it."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "RegistryArtifactPreflight"
    ]).Resource == ["arn:aws:s3:::churn-artifacts-111111111111/*"] && one([for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "RegistryArtifactPreflight"]).Action == ["s3:GetObject"]
    error_message = "Preflight may read (HeadObject) the artifacts in the tooling bucket."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "PromoteReports"
    ]).Resource == ["arn:aws:codebuild:us-east-1:222222222222:report-group/churn-dev-promote-smoke"]
    error_message = "The platform role writes exactly the Promote action's report group."
  }
  assert {
    condition = toset(one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "PromoteReports"
    ]).Action) == toset(["codebuild:BatchPutTestCases", "codebuild:CreateReport", "codebuild:CreateReportGroup", "codebuild:UpdateReport"])
    error_message = "Uploading a JUnit report needs CreateReportGroup, CreateReport, UpdateReport and BatchPutTestCases."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "RollbackAlarmsRead"
      ]) == {
      Sid      = "RollbackAlarmsRead"
      Effect   = "Allow"
      Action   = ["cloudwatch:DescribeAlarms"]
      Resource = ["arn:aws:cloudwatch:us-east-1:222222222222:alarm:churn-dev-invocation-5xx", "arn:aws:cloudwatch:us-east-1:222222222222:alarm:churn-dev-model-latency"]
    }
    error_message = "The Terraform-managed rollback alarms are read-only to the deployer."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement :
      alltrue([for r in flatten([s.Resource]) : startswith(r, "arn:aws:cloudwatch:us-east-1:222222222222:alarm:TargetTracking-endpoint/churn-dev/")])
      if length(setintersection(toset(flatten([s.Action])), toset(["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"]))) > 0
    ])
    error_message = "The deployer may change and delete only the autoscaling (TargetTracking-endpoint/churn-dev/...) alarms."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "AutoscalingEndpointVariant"
      ]).Condition.StringEquals == {
      "application-autoscaling:service-namespace"  = "sagemaker"
      "application-autoscaling:scalable-dimension" = "sagemaker:variant:DesiredInstanceCount"
    }
    error_message = "Application Auto Scaling writes are limited to the sagemaker namespace and the variant instance count."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement :
      can(s.Condition) if flatten([s.Resource]) == ["*"] && s.Sid != "EndpointCleanupLists" && s.Sid != "AutoscalingDescribe"
    ])
    error_message = "A write granted on \"*\" is always narrowed by conditions."
  }
  assert {
    condition = length(setintersection(toset(flatten([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s.Action
      ])), toset([
      "application-autoscaling:DeleteScalingPolicy",
      "application-autoscaling:DescribeScalingActivities",
      "application-autoscaling:DescribeScalingPolicies",
      "application-autoscaling:TagResource",
      "s3:PutObject",
      "kms:Encrypt",
      "kms:GenerateDataKey",
    ]))) == 0
    error_message = "Grants the deployer never uses are gone."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "AutoscalingEndpointCapacity"
    ]).Resource == ["arn:aws:sagemaker:us-east-1:222222222222:endpoint/churn-dev"]
    error_message = "RegisterScalableTarget's UpdateEndpointWeightsAndCapacities is on this endpoint only."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "EndpointCleanupLists"
    ]).Action == ["sagemaker:ListEndpointConfigs", "sagemaker:ListEndpoints", "sagemaker:ListModels"]
    error_message = "Cleanup lists configs, models and (to see what every endpoint uses) endpoints; nothing else on \"*\"."
  }
  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : [s.Action, s.Resource]
      if contains(["EndpointCleanupEndpointsInUse", "EndpointCleanupConfigsInUse"], s.Sid)
      ] == [
      [["sagemaker:DescribeEndpoint"], ["arn:aws:sagemaker:us-east-1:222222222222:endpoint/*"]],
      [["sagemaker:DescribeEndpointConfig"], ["arn:aws:sagemaker:us-east-1:222222222222:endpoint-config/*"]],
    ]
    error_message = "Cleanup's in-use check reads every endpoint and endpoint config of this account, and nothing more."
  }
}

run "test_role_policy" {
  assert {
    condition     = aws_codebuild_project.this["test"].service_role == "arn:aws:iam::222222222222:role/churn-dev-codebuild-test"
    error_message = "The Test action runs as the test role."
  }
  assert {
    condition     = aws_codebuild_project.this["deploy"].service_role == "arn:aws:iam::222222222222:role/churn-dev-codebuild" && aws_codebuild_project.this["promote"].service_role == "arn:aws:iam::222222222222:role/churn-dev-codebuild"
    error_message = "Deploy and Promote run as the platform role."
  }
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.codebuild_test.policy).Statement : s.Action])) == toset([
      "logs:CreateLogStream", "logs:PutLogEvents",
      "s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt",
      "sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint",
      "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel", "sagemaker:ListTags",
      "codebuild:BatchPutTestCases", "codebuild:CreateReport", "codebuild:CreateReportGroup", "codebuild:UpdateReport",
      "ssm:GetParameter",
    ])
    error_message = "The test role reads source, describes and invokes the endpoint, writes its reports: nothing else (no ledger, registry, endpoint changes or promotion)."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild_test.policy).Statement : s if s.Sid == "EndpointDescribeAndInvoke"
    ]).Resource == ["arn:aws:sagemaker:us-east-1:222222222222:endpoint/churn-dev"]
    error_message = "The test role invokes exactly this stage's endpoint."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild_test.policy).Statement : s if s.Sid == "TestReports"
    ]).Resource == ["arn:aws:codebuild:us-east-1:222222222222:report-group/churn-dev-test-smoke"]
    error_message = "The test role writes exactly its own report group (<test project>-<report name>)."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild_test.policy).Statement : s if s.Sid == "BuildLogs"
    ]).Resource == ["arn:aws:logs:us-east-1:222222222222:log-group:/aws/codebuild/churn-dev-test", "arn:aws:logs:us-east-1:222222222222:log-group:/aws/codebuild/churn-dev-test:*"]
    error_message = "The test role writes the Test project's logs only."
  }
  assert {
    condition     = !strcontains(aws_iam_role_policy.codebuild_test.policy, "churn-dev-deploy") && !strcontains(aws_iam_role_policy.codebuild_test.policy, "churn-dev-promote")
    error_message = "The test role has nothing of the platform projects."
  }
}

run "inline_policies_fit_iam_limits" {
  assert {
    condition = alltrue([
      for p in [aws_iam_role_policy.codebuild.policy, aws_iam_role_policy.codebuild_test.policy, aws_iam_role_policy.execution.policy, aws_iam_role_policy.pipeline.policy] :
      length(p) <= 10240
    ])
    error_message = "Each role's inline policies must fit IAM's 10,240 characters."
  }
}

run "test_report_names" {
  variables {
    test_report_names = ["smoke", "integration"]
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.codebuild_test.policy).Statement : s if s.Sid == "TestReports"
      ]).Resource == [
      "arn:aws:codebuild:us-east-1:222222222222:report-group/churn-dev-test-smoke",
      "arn:aws:codebuild:us-east-1:222222222222:report-group/churn-dev-test-integration",
    ]
    error_message = "Every report the Test buildspec declares gets its exact report group."
  }
}

run "service_trust" {
  assert {
    condition     = jsondecode(aws_iam_role.codebuild.assume_role_policy).Statement[0].Principal.Service == "codebuild.amazonaws.com" && jsondecode(aws_iam_role.codebuild_test.assume_role_policy).Statement[0].Principal.Service == "codebuild.amazonaws.com"
    error_message = "The CodeBuild roles trust codebuild.amazonaws.com."
  }
  assert {
    condition     = jsondecode(aws_iam_role.pipeline.assume_role_policy).Statement[0].Principal.Service == "codepipeline.amazonaws.com" && length(jsondecode(aws_iam_role.pipeline.assume_role_policy).Statement) == 1
    error_message = "The pipeline role trusts codepipeline.amazonaws.com only."
  }
  assert {
    condition = alltrue([
      for r in [aws_iam_role.codebuild, aws_iam_role.codebuild_test, aws_iam_role.pipeline, aws_iam_role.events, aws_iam_role.execution] :
      jsondecode(r.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "222222222222"
    ])
    error_message = "Every service role trust carries aws:SourceAccount."
  }
  assert {
    condition = jsondecode(aws_iam_role.codebuild.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == [
      "arn:aws:codebuild:us-east-1:222222222222:project/churn-dev-deploy",
      "arn:aws:codebuild:us-east-1:222222222222:project/churn-dev-promote",
      "arn:aws:codebuild:us-east-1:222222222222:project/churn-dev-teardown",
    ]
    error_message = "The platform role may be used by the Deploy, Promote and Teardown projects only."
  }
  assert {
    condition     = jsondecode(aws_iam_role.codebuild_test.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == ["arn:aws:codebuild:us-east-1:222222222222:project/churn-dev-test"]
    error_message = "The test role may be used by the Test project only."
  }
  assert {
    condition     = jsondecode(aws_iam_role.pipeline.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == ["arn:aws:codepipeline:us-east-1:222222222222:churn-dev"]
    error_message = "The pipeline role may be used by this pipeline only."
  }
  assert {
    condition = toset(jsondecode(aws_iam_role.events.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"]) == toset([
      "arn:aws:events:us-east-1:222222222222:rule/churn-dev/churn-dev-model-approval",
      "arn:aws:events:us-east-1:222222222222:rule/churn-dev-source-push",
    ])
    error_message = "The events role may be used by this stage's trigger rules only (stage bus and default bus ARNs)."
  }
  assert {
    condition     = jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == ["arn:aws:sagemaker:us-east-1:222222222222:*"]
    error_message = "SageMaker inference assumes the execution role with aws:SourceArn arn:aws:sagemaker:<region>:<account>:* (the form AWS documents for inference; an endpoint ARN would never match)."
  }
  assert {
    condition     = jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Principal.Service == "sagemaker.amazonaws.com"
    error_message = "The execution role trusts sagemaker.amazonaws.com."
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.events.policy).Statement[0].Resource == ["arn:aws:codepipeline:us-east-1:222222222222:churn-dev"] && jsondecode(aws_iam_role_policy.events.policy).Statement[0].Action == ["codepipeline:StartPipelineExecution"]
    error_message = "The events role may only start this pipeline."
  }
  assert {
    condition     = toset(one([for s in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : s if s.Sid == "StartBuilds"]).Resource) == toset(["arn:aws:codebuild:us-east-1:222222222222:project/churn-dev-deploy", "arn:aws:codebuild:us-east-1:222222222222:project/churn-dev-test", "arn:aws:codebuild:us-east-1:222222222222:project/churn-dev-promote"])
    error_message = "The pipeline starts exactly its three projects."
  }
}

run "execution_role_policy" {
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "ModelArtifactsRead"
    ]).Resource == ["arn:aws:s3:::churn-artifacts-111111111111/*"]
    error_message = "The execution role reads the tooling artifact bucket."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "ModelArtifactsDecrypt"
    ]).Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == "alias/churn-registry"
    error_message = "Without the key ARN, decrypt is narrowed to the registry key alias."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "ModelArtifactsDecrypt"
    ]).Condition.StringEquals["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    error_message = "The execution role decrypts artifacts through S3 only."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "RollbackAlarmsRead"
    ]).Resource == ["arn:aws:cloudwatch:us-east-1:222222222222:alarm:churn-dev-invocation-5xx", "arn:aws:cloudwatch:us-east-1:222222222222:alarm:churn-dev-model-latency"]
    error_message = "SageMaker reads the auto-rollback alarms as the execution role: DescribeAlarms on exactly them."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "RollbackAlarmsRead"]).Action == ["cloudwatch:DescribeAlarms"]
    error_message = "Reading the alarms is DescribeAlarms only."
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "DataCaptureWrite"
    ]).Resource == ["arn:aws:s3:::churn-dev-data-capture-222222222222/capture/*"]
    error_message = "The execution role writes data capture under capture/."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])
    ])
    error_message = "No wildcard actions in the execution role policy."
  }
}

run "registry_key_arn_given" {
  variables {
    registry_kms_key_arn = "arn:aws:kms:us-east-1:111111111111:key/abcd-ef"
  }
  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "ModelArtifactsDecrypt"
    ]).Resource == ["arn:aws:kms:us-east-1:111111111111:key/abcd-ef"]
    error_message = "With the key ARN, decrypt names the key."
  }
  assert {
    condition = !can(one([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "ModelArtifactsDecrypt"
    ]).Condition["ForAnyValue:StringEquals"])
    error_message = "With the key ARN there is no alias condition."
  }
}

run "event_bus_first_stage" {
  assert {
    condition     = jsondecode(aws_cloudwatch_event_bus_policy.this.policy).Statement[0].Principal.AWS == "arn:aws:iam::111111111111:root"
    error_message = "The first stage's bus accepts events from the tooling account only."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_bus_policy.this.policy).Statement[0].Condition.ArnEquals["aws:PrincipalArn"] == "arn:aws:iam::111111111111:role/churn-registry-events-forward"
    error_message = "Narrowed to the registry's forwarding role."
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_event_rule.trigger)) == toset(["model-approval", "source-push"])
    error_message = "The first stage starts on approvals and pushes (no previous stage)."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.trigger["model-approval"].event_bus_name == "churn-dev" && aws_cloudwatch_event_rule.trigger["source-push"].event_bus_name == "default"
    error_message = "Approvals on the stage bus, pushes on the default bus."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.trigger["source-push"].event_pattern).detail.referenceName == ["main"]
    error_message = "Pushes to main start the pipeline."
  }
  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.trigger : t.role_arn == aws_iam_role.events.arn && t.arn == aws_codepipeline.this.arn])
    error_message = "Every trigger starts this pipeline through the events role."
  }
}

run "rendered_config_shape" {
  assert {
    condition     = toset(keys(output.stage_config)) == toset(keys(jsondecode(file("../../examples/stage/dev.json"))))
    error_message = "The platform config must have exactly the keys of the full example, examples/stage/dev.json."
  }
  assert {
    condition = alltrue([
      for k, v in jsondecode(file("../../examples/stage/dev.json")) :
      toset(keys(output.stage_config[k])) == toset(keys(v)) if can(keys(v))
    ])
    error_message = "Every nested object of the platform config must have the keys of examples/stage/dev.json."
  }
  assert {
    condition     = toset(keys(output.stage_config.deployment.step)) == toset(["type", "value"])
    error_message = "deployment.step has type and value."
  }
  assert {
    condition     = jsondecode(output.stage_config_json).registry.role_arn == "arn:aws:iam::111111111111:role/churn-deployer-dev"
    error_message = "The registry role is the tooling deployer role."
  }
  assert {
    condition     = output.stage_config.registry.model_package_group == "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn"
    error_message = "The registry group ARN."
  }
  assert {
    condition     = output.stage_config.promotion.next_stage_event_bus_arn == "arn:aws:events:us-east-1:333333333333:event-bus/churn-staging" && output.stage_config.ledger.table_name == "churn-ledger"
    error_message = "Ledger table and next bus."
  }
  assert {
    condition     = output.stage_config.deployment.rollback_alarms == ["churn-dev-invocation-5xx", "churn-dev-model-latency"]
    error_message = "Rollback alarms are the guardrail alarms."
  }
  assert {
    condition     = output.stage_config.deployment.allow_unguarded_fallback == false
    error_message = "The unguarded fallback (Inf1) is off unless the stage opts in."
  }
  assert {
    condition     = output.stage_config.data_capture.destination_s3_uri == "s3://churn-dev-data-capture-222222222222/capture"
    error_message = "Data capture destination."
  }
  assert {
    condition     = output.stage_config.endpoint.instance_count == 2 && output.stage_config.autoscaling.max_capacity == 4 && output.stage_config.target.role_arn == ""
    error_message = "Endpoint and autoscaling settings pass through."
  }
}

run "alarms" {
  assert {
    condition     = aws_cloudwatch_metric_alarm.invocation_5xx.metric_name == "Invocation5XXErrors" && aws_cloudwatch_metric_alarm.model_latency.metric_name == "ModelLatency"
    error_message = "Guardrail metrics."
  }
  assert {
    condition = alltrue([
      for a in [aws_cloudwatch_metric_alarm.invocation_5xx, aws_cloudwatch_metric_alarm.model_latency] :
      a.namespace == "AWS/SageMaker" && a.dimensions["EndpointName"] == "churn-dev" && a.dimensions["VariantName"] == "AllTraffic" && length(a.dimensions) == 2
    ])
    error_message = "Alarms watch the endpoint's AllTraffic variant."
  }
  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_cloudwatch_event_rule.pipeline_failed) == 0
    error_message = "No topic unless asked for."
  }
}

run "buckets" {
  assert {
    condition = alltrue([
      for p in aws_s3_bucket_policy.this : jsondecode(p.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false" && jsondecode(p.policy).Statement[0].Effect == "Deny"
    ])
    error_message = "Both buckets deny requests without TLS."
  }
  assert {
    condition     = alltrue([for b in aws_s3_bucket_public_access_block.this : b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "Public access is blocked."
  }
  assert {
    condition     = alltrue([for v in aws_s3_bucket_versioning.this : v.versioning_configuration[0].status == "Enabled"])
    error_message = "Versioning is on."
  }
  assert {
    condition     = alltrue([for e in aws_s3_bucket_server_side_encryption_configuration.this : one(one(e.rule).apply_server_side_encryption_by_default).kms_master_key_id == aws_kms_key.this.arn])
    error_message = "SSE-KMS with the stage key."
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "Stage key rotation."
  }
}

run "later_stage_with_approval" {
  variables {
    stage                     = "prod"
    previous_stage            = "staging"
    previous_stage_account_id = "333333333333"
    next_stage                = ""
    next_stage_event_bus_arn  = ""
    notification_email        = "ml-platform@example.com"
  }
  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == ["Source", "Plan", "Approval", "Deploy", "Test", "Promote"]
    error_message = "prod plans, then waits for a manual approval, between Source and Deploy."
  }
  assert {
    condition     = aws_codepipeline.this.stage[2].action[0].provider == "Manual" && aws_codepipeline.this.stage[2].action[0].configuration.NotificationArn == aws_sns_topic.this[0].arn
    error_message = "Manual approval notifies the topic."
  }
  assert {
    condition     = aws_codepipeline.this.stage[1].action[0].namespace == "Plan" && aws_codepipeline.this.stage[1].action[0].configuration.ProjectName == "churn-prod-plan"
    error_message = "The Plan action runs the plan project and exports its variables under the Plan namespace."
  }
  assert {
    condition = alltrue([
      for v in ["DEPLOYER_CANDIDATE_VERSION", "DEPLOYER_CANDIDATE_ARN", "DEPLOYER_VERIFIED_IN", "DEPLOYER_VERIFIED_AT", "DEPLOYER_VERIFIED_BUILD", "DEPLOYER_METRIC_GATE"] :
      strcontains(aws_codepipeline.this.stage[2].action[0].configuration.CustomData, "#{Plan.${v}}")
    ])
    error_message = "The approval names the version, its package, where, when and by which build it was verified, and the metric gate's verdict with both values."
  }
  assert {
    condition     = yamldecode(aws_codebuild_project.this["plan"].source[0].buildspec).env["exported-variables"] == local.plan_exports
    error_message = "The plan build exports what the approval and the deploy read."
  }
  assert {
    condition     = yamldecode(aws_codebuild_project.this["plan"].source[0].buildspec).phases.build.commands == ["exports=\"$(deployer plan --stage \"$STAGE\" --preflight --exports)\" && eval \"$exports\""]
    error_message = "The plan build runs the metric gate and deploy's whole preflight before the approval."
  }
  assert {
    condition     = jsondecode(aws_codepipeline.this.stage[3].action[0].configuration.EnvironmentVariables) == [{ name = "DEPLOYER_MODEL_VERSION", value = "#{Plan.DEPLOYER_CANDIDATE_VERSION}", type = "PLAINTEXT" }]
    error_message = "Deploy pins exactly the version the Plan action named."
  }
  assert {
    condition     = aws_cloudwatch_event_target.trigger["model-rejection"].arn == aws_codebuild_project.this["rollback"].arn
    error_message = "A rejection in a stage with an approval starts the rollback build, never the pipeline (it would wait at the approval)."
  }
  assert {
    condition     = yamldecode(aws_codebuild_project.this["rollback"].source[0].buildspec).phases.build.commands == ["deployer rollback --stage \"$STAGE\" --if-rejected"]
    error_message = "The rollback build acts only when the live version is Rejected."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.events.policy).Statement : s.Resource if s.Sid == "StartRollbackBuild"]) == ["arn:aws:codebuild:us-east-1:222222222222:project/churn-prod-rollback"]
    error_message = "EventBridge may start the rollback build and nothing else of CodeBuild."
  }
  assert {
    condition     = !contains(one([for s in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : s.Resource if s.Sid == "StartBuilds"]), "arn:aws:codebuild:us-east-1:222222222222:project/churn-prod-rollback")
    error_message = "The pipeline cannot start the rollback build."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_bus_policy.this.policy).Statement[0].Principal.AWS == "arn:aws:iam::333333333333:root"
    error_message = "prod's bus accepts events from staging's account only."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_bus_policy.this.policy).Statement[0].Condition.ArnEquals["aws:PrincipalArn"] == "arn:aws:iam::333333333333:role/churn-staging-codebuild"
    error_message = "Narrowed to staging's CodeBuild role."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_bus_policy.this.policy).Statement[1].Principal.AWS == "arn:aws:iam::111111111111:root" && jsondecode(aws_cloudwatch_event_bus_policy.this.policy).Statement[1].Condition.ArnEquals["aws:PrincipalArn"] == "arn:aws:iam::111111111111:role/churn-registry-events-forward"
    error_message = "Later stages also accept the registry's forwarded rejections, from its forwarding role only."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.trigger["model-rejection"].event_pattern).detail.ModelApprovalStatus == ["Rejected"] && aws_cloudwatch_event_rule.trigger["model-rejection"].event_bus_name == "churn-prod"
    error_message = "A rejection on prod's bus rolls a rejected live version back."
  }
  assert {
    condition     = alltrue([for k in ["model-approval", "model-rejection"] : jsondecode(aws_cloudwatch_event_rule.trigger[k].event_pattern).detail["$or"] == [{ UpdatedModelPackageFields = ["ModelApprovalStatus"] }, { UpdatedModelPackageFields = [{ exists = false }] }]])
    error_message = "Registry rules fire on a status update or a creation, never on a metadata-only update (the deployer's marks)."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.trigger["previous-stage-verified"].event_pattern).detail.next_stage == ["prod"]
    error_message = "The verified rule matches detail.next_stage = this stage."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.trigger["previous-stage-verified"].event_pattern).source == ["mlops.deployer"] && jsondecode(aws_cloudwatch_event_rule.trigger["previous-stage-verified"].event_pattern)["detail-type"] == ["Model Version Verified"]
    error_message = "The verified rule matches the deployer's event."
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.codebuild.policy).Statement : s if s.Sid == "PromoteToNextStage"]) == 0
    error_message = "The last stage puts no promotion events."
  }
  assert {
    condition     = output.stage_config.requires_approval && output.stage_config.next_stage == "" && output.stage_config.previous_stage == "staging"
    error_message = "Rendered neighbours and approval for prod."
  }
  assert {
    condition     = aws_sns_topic.this[0].kms_master_key_id == aws_kms_key.this.arn && aws_sns_topic_subscription.this[0].endpoint == "ml-platform@example.com"
    error_message = "A KMS-encrypted topic with the email subscription."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.pipeline_failed[0].event_pattern).detail.state == ["FAILED"] && aws_cloudwatch_event_target.pipeline_failed[0].arn == aws_sns_topic.this[0].arn
    error_message = "Pipeline failures go to the topic."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.invocation_5xx.alarm_actions == toset([aws_sns_topic.this[0].arn])
    error_message = "Alarms notify the topic."
  }
  assert {
    condition     = one([for s in jsondecode(aws_sns_topic_policy.this[0].policy).Statement : s if s.Sid == "GuardrailAlarms"]).Condition.ArnEquals["aws:SourceArn"] == ["arn:aws:cloudwatch:us-east-1:444444444444:alarm:churn-prod-invocation-5xx", "arn:aws:cloudwatch:us-east-1:444444444444:alarm:churn-prod-model-latency"] || one([for s in jsondecode(aws_sns_topic_policy.this[0].policy).Statement : s if s.Sid == "GuardrailAlarms"]).Condition.ArnEquals["aws:SourceArn"] == ["arn:aws:cloudwatch:us-east-1:222222222222:alarm:churn-prod-invocation-5xx", "arn:aws:cloudwatch:us-east-1:222222222222:alarm:churn-prod-model-latency"]
    error_message = "Only the two guardrail alarms may publish to the topic (exact ARNs)."
  }
  assert {
    condition = toset(jsondecode(aws_iam_role.events.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"]) == toset([
      "arn:aws:events:us-east-1:222222222222:rule/churn-prod/churn-prod-model-approval",
      "arn:aws:events:us-east-1:222222222222:rule/churn-prod/churn-prod-model-rejection",
      "arn:aws:events:us-east-1:222222222222:rule/churn-prod/churn-prod-previous-stage-verified",
      "arn:aws:events:us-east-1:222222222222:rule/churn-prod-source-push",
    ])
    error_message = "A later stage's events role is used by its four trigger rules."
  }
}

run "approval_can_be_forced_off_and_on" {
  variables {
    requires_approval = true
  }
  assert {
    condition     = contains([for s in aws_codepipeline.this.stage : s.name], "Approval")
    error_message = "requires_approval = true adds the approval stage to any stage."
  }
}

run "organization_condition" {
  variables {
    organization_id = "o-abcdefghij"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_bus_policy.this.policy).Statement[0].Condition.StringEquals["aws:PrincipalOrgID"] == "o-abcdefghij"
    error_message = "The bus policy requires aws:PrincipalOrgID when given."
  }
}

run "codeconnections_source" {
  variables {
    source_provider = "codeconnections"
    source_connection = {
      connection_arn     = "arn:aws:codeconnections:us-east-1:222222222222:connection/abcd-1234"
      full_repository_id = "acme/churn-dev"
      branch             = "release"
    }
  }
  assert {
    condition     = length(aws_codecommit_repository.this) == 0 && length(terraform_data.seed) == 0
    error_message = "No CodeCommit repository or seed with codeconnections."
  }
  assert {
    condition     = aws_codepipeline.this.stage[0].action[0].provider == "CodeStarSourceConnection" && aws_codepipeline.this.stage[0].action[0].configuration.FullRepositoryId == "acme/churn-dev"
    error_message = "CodeConnections source action."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.pipeline.policy).Statement : s if s.Sid == "SourceConnection"]).Resource == ["arn:aws:codeconnections:us-east-1:222222222222:connection/abcd-1234"]
    error_message = "The pipeline role may use exactly the connection."
  }
  assert {
    condition     = !contains(keys(aws_cloudwatch_event_rule.trigger), "source-push")
    error_message = "No CodeCommit push rule with codeconnections."
  }
}

run "seed_planned" {
  command = plan
  variables {
    seed_mode   = "local-exec"
    seed_dir    = "tests/fixtures/seed"
    seed_python = "/usr/bin/python3"
  }
  assert {
    condition     = length(terraform_data.seed) == 1
    error_message = "The repository is seeded with codecommit."
  }
  assert {
    condition     = terraform_data.seed[0].triggers_replace.branch == "main"
    error_message = "The seed lands on main."
  }
  assert {
    condition     = toset(keys(terraform_data.seed[0].triggers_replace)) == toset(["repository_id", "seed_sha256", "branch", "stage"])
    error_message = "Platform facts do not re-seed: the seed carries none of them."
  }
}

run "seed_requires_dir" {
  command = plan
  variables {
    seed_mode = "local-exec"
    seed_dir  = ""
  }
  expect_failures = [terraform_data.seed]
}

run "seed_mode_none" {
  command = plan
  variables {
    seed_mode = "none"
    seed_dir  = ""
  }
  assert {
    condition     = length(aws_codecommit_repository.this) == 1 && length(terraform_data.seed) == 0
    error_message = "seed_mode none creates the repository and runs nothing locally."
  }
}

run "platform_config_parameter" {
  assert {
    condition     = aws_ssm_parameter.platform_config.name == "/churn/dev/deployer/config" && aws_ssm_parameter.platform_config.type == "SecureString"
    error_message = "The platform config is the SecureString /<project>/<stage>/deployer/config."
  }
  assert {
    condition     = aws_ssm_parameter.platform_config.key_id == aws_kms_key.this.arn && aws_ssm_parameter.platform_config.tier == "Standard"
    error_message = "Encrypted with the stage key, standard tier while it fits in 4 KB."
  }
  assert {
    condition     = jsondecode(aws_ssm_parameter.platform_config.value).endpoint.name == "churn-dev" && jsondecode(aws_ssm_parameter.platform_config.value).ledger.table_name == "churn-ledger" && jsondecode(aws_ssm_parameter.platform_config.value).deployment.strategy == "canary"
    error_message = "The parameter holds the platform facts and the platform's defaults."
  }
  assert {
    condition = alltrue([
      for p in aws_codebuild_project.this : { for e in p.environment[0].environment_variable : e.name => e.value }["DEPLOYER_PLATFORM_CONFIG"] == "/churn/dev/deployer/config"
    ])
    error_message = "Every CodeBuild project names the parameter in DEPLOYER_PLATFORM_CONFIG."
  }
}

run "platform_config_large_tags_use_advanced_tier" {
  variables {
    tags = { for i in range(30) : format("tag-%02d-%s", i, join("", [for j in range(100) : "k"])) => join("", [for j in range(200) : "v"]) }
  }
  assert {
    condition     = aws_ssm_parameter.platform_config.tier == "Advanced"
    error_message = "A platform config over 4 KB takes the advanced tier."
  }
}

run "platform_config_grants" {
  assert {
    condition = alltrue([
      for policy in [aws_iam_role_policy.codebuild.policy, aws_iam_role_policy.codebuild_test.policy] :
      one([for s in jsondecode(policy).Statement : s if s.Sid == "PlatformConfigRead"]).Resource == ["arn:aws:ssm:us-east-1:222222222222:parameter/churn/dev/deployer/config"]
      && one([for s in jsondecode(policy).Statement : s if s.Sid == "PlatformConfigRead"]).Action == ["ssm:GetParameter"]
    ])
    error_message = "Both CodeBuild roles may read exactly the platform config parameter (GetParameter only)."
  }
  assert {
    condition = alltrue([
      for policy in [aws_iam_role_policy.codebuild.policy, aws_iam_role_policy.codebuild_test.policy] :
      one([for s in jsondecode(policy).Statement : s if s.Sid == "StageKeyDecryptPlatformConfig"]).Condition.StringEquals == {
        "kms:ViaService"                      = "ssm.us-east-1.amazonaws.com"
        "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:us-east-1:222222222222:parameter/churn/dev/deployer/config"
      }
    ])
    error_message = "The stage key decrypts only through SSM, for exactly that parameter."
  }
  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.codebuild_test.policy).Statement : s if contains(flatten([s.Action]), "ssm:GetParameter")
    ]) == 1
    error_message = "The test role's only SSM grant is the platform config read."
  }
}

run "invalid_seed_mode" {
  command = plan
  variables {
    seed_mode = "git"
  }
  expect_failures = [var.seed_mode]
}

# Every validation block rejects bad input.

run "invalid_project" {
  command = plan
  variables {
    project = "Churn!"
  }
  expect_failures = [var.project]
}

run "invalid_stage" {
  command = plan
  variables {
    stage = "Dev Stage"
  }
  expect_failures = [var.stage]
}

run "invalid_previous_stage" {
  command = plan
  variables {
    previous_stage            = "Staging"
    previous_stage_account_id = "333333333333"
  }
  expect_failures = [var.previous_stage]
}

run "invalid_previous_stage_account_id" {
  command = plan
  variables {
    previous_stage            = "staging"
    previous_stage_account_id = "33"
  }
  expect_failures = [var.previous_stage_account_id]
}

run "missing_previous_stage_account_id" {
  command = plan
  variables {
    previous_stage = "staging"
  }
  expect_failures = [var.previous_stage_account_id]
}

run "invalid_next_stage" {
  command = plan
  variables {
    next_stage = "Staging"
  }
  expect_failures = [var.next_stage]
}

run "invalid_next_stage_event_bus_arn" {
  command = plan
  variables {
    next_stage_event_bus_arn = "arn:aws:sqs:us-east-1:333333333333:queue"
  }
  expect_failures = [var.next_stage_event_bus_arn]
}

run "next_stage_without_bus" {
  command = plan
  variables {
    next_stage_event_bus_arn = ""
  }
  expect_failures = [var.next_stage_event_bus_arn]
}

run "invalid_tooling_account_id" {
  command = plan
  variables {
    tooling_account_id = "tooling"
  }
  expect_failures = [var.tooling_account_id]
}

run "invalid_registry_region" {
  command = plan
  variables {
    registry_region = "US_EAST"
  }
  expect_failures = [var.registry_region]
}

run "invalid_registry_kms_key_arn" {
  command = plan
  variables {
    registry_kms_key_arn = "alias/churn-registry"
  }
  expect_failures = [var.registry_kms_key_arn]
}

run "invalid_organization_id" {
  command = plan
  variables {
    organization_id = "123"
  }
  expect_failures = [var.organization_id]
}

run "invalid_source_provider" {
  command = plan
  variables {
    source_provider = "github"
  }
  expect_failures = [var.source_provider]
}

run "invalid_connection_arn" {
  command = plan
  variables {
    source_connection = { connection_arn = "arn:aws:s3:::bucket" }
  }
  expect_failures = [var.source_connection]
}

run "invalid_full_repository_id" {
  command = plan
  variables {
    source_connection = { full_repository_id = "no-owner" }
  }
  expect_failures = [var.source_connection]
}

run "codeconnections_without_connection" {
  command = plan
  variables {
    source_provider = "codeconnections"
  }
  expect_failures = [var.source_connection]
}

run "invalid_repository_branch" {
  command = plan
  variables {
    repository_branch = "main branch"
  }
  expect_failures = [var.repository_branch]
}

run "invalid_seed_dir" {
  command = plan
  variables {
    seed_dir = "tests/fixtures/does-not-exist"
  }
  expect_failures = [var.seed_dir]
}

run "invalid_seed_role_arn" {
  command = plan
  variables {
    seed_role_arn = "OrganizationAccountAccessRole"
  }
  expect_failures = [var.seed_role_arn]
}

run "invalid_deployer_wheel_path" {
  command = plan
  variables {
    deployer_wheel_path = "dist/deployer.tar.gz"
  }
  expect_failures = [var.deployer_wheel_path]
}

run "invalid_compute_type" {
  command = plan
  variables {
    codebuild = { compute_type = "BUILD_GENERAL1_HUGE" }
  }
  expect_failures = [var.codebuild]
}

run "invalid_build_timeout" {
  command = plan
  variables {
    codebuild = { build_timeout_minutes = 1 }
  }
  expect_failures = [var.codebuild]
}

run "invalid_log_retention" {
  command = plan
  variables {
    log_retention_days = 42
  }
  expect_failures = [var.log_retention_days]
}

run "invalid_instance_type" {
  command = plan
  variables {
    endpoint = { instance_type = "m5.large" }
  }
  expect_failures = [var.endpoint]
}

run "invalid_instance_count" {
  command = plan
  variables {
    endpoint = { instance_count = 0 }
  }
  expect_failures = [var.endpoint]
}

run "invalid_sampling_percentage" {
  command = plan
  variables {
    data_capture = { sampling_percentage = 101 }
  }
  expect_failures = [var.data_capture]
}

run "invalid_strategy" {
  command = plan
  variables {
    deployment = { strategy = "blue_green" }
  }
  expect_failures = [var.deployment]
}

run "invalid_step_type" {
  command = plan
  variables {
    deployment = { step_type = "PERCENT" }
  }
  expect_failures = [var.deployment]
}

run "invalid_step_value" {
  command = plan
  variables {
    deployment = { step_type = "CAPACITY_PERCENT", step_value = 150 }
  }
  expect_failures = [var.deployment]
}

# Step limits come from the deployer's strategy registry (strategy_limits.tf): a canary is at most 50 %.
run "invalid_canary_60_percent" {
  command = plan
  variables {
    deployment = { strategy = "canary", step_type = "CAPACITY_PERCENT", step_value = 60 }
  }
  expect_failures = [var.deployment]
}

run "invalid_linear_step_below_10_percent" {
  command = plan
  variables {
    deployment = { strategy = "linear", step_type = "CAPACITY_PERCENT", step_value = 5 }
  }
  expect_failures = [var.deployment]
}

run "invalid_canary_of_the_whole_fleet" {
  command = plan
  variables {
    deployment = { strategy = "canary", step_type = "INSTANCE_COUNT", step_value = 2 }
  }
  expect_failures = [var.deployment]
}

run "step_limits_accept_the_deployer_ranges" {
  command = plan
  variables {
    deployment = { strategy = "rolling", step_type = "INSTANCE_COUNT", step_value = 1, max_execution_timeout_seconds = 3600 }
  }
  assert {
    condition     = output.stage_config.deployment.step == { type = "INSTANCE_COUNT", value = 1 }
    error_message = "A rolling batch of 1 of 2 instances is within the limits."
  }
}

run "step_is_not_limited_for_all_at_once" {
  command = plan
  variables {
    deployment = { strategy = "all_at_once", step_type = "CAPACITY_PERCENT", step_value = 100 }
  }
}

run "invalid_wait_seconds" {
  command = plan
  variables {
    deployment = { wait_seconds = 3601 }
  }
  expect_failures = [var.deployment]
}

run "invalid_max_execution_timeout" {
  command = plan
  variables {
    deployment = { max_execution_timeout_seconds = 60 }
  }
  expect_failures = [var.deployment]
}

run "invalid_autoscaling_capacity" {
  command = plan
  variables {
    autoscaling = { min_capacity = 3, max_capacity = 2 }
  }
  expect_failures = [var.autoscaling]
}

run "invalid_autoscaling_target" {
  command = plan
  variables {
    autoscaling = { target_invocations_per_instance = 0 }
  }
  expect_failures = [var.autoscaling]
}

# What the deployer refuses in the stage config, the module refuses first (tests/deployer/test_config_limits.py).
run "invalid_autoscaling_target_above_2_pow_360" {
  command = plan
  variables {
    autoscaling = { target_invocations_per_instance = 1e109 }
  }
  expect_failures = [var.autoscaling]
}

run "invalid_autoscaling_capacity_fraction" {
  command = plan
  variables {
    autoscaling = { min_capacity = 1.5, max_capacity = 4 }
  }
  expect_failures = [var.autoscaling]
}

run "invalid_sampling_percentage_fraction" {
  command = plan
  variables {
    data_capture = { sampling_percentage = 20.5 }
  }
  expect_failures = [var.data_capture]
}

run "invalid_wait_seconds_fraction" {
  command = plan
  variables {
    deployment = { wait_seconds = 30.5 }
  }
  expect_failures = [var.deployment]
}

run "invalid_tag_reserved_for_the_deployer" {
  command = plan
  variables {
    tags = { "Deployer:stage" = "prod" }
  }
  expect_failures = [var.tags]
}

run "invalid_tag_reserved_for_aws" {
  command = plan
  variables {
    tags = { "aws:owner" = "x" }
  }
  expect_failures = [var.tags]
}

run "invalid_tag_characters" {
  command = plan
  variables {
    tags = { team = "a;b" }
  }
  expect_failures = [var.tags]
}

run "tags_in_any_script_pass" {
  command = plan
  variables {
    tags = { "Kostenstelle é" = "Müller 42 _.:/=+-@" }
  }
  assert {
    condition     = output.stage_config.tags["Kostenstelle é"] == "Müller 42 _.:/=+-@"
    error_message = "Letters of any script, spaces and the allowed symbols pass into the stage config."
  }
}

run "invalid_alarm_period" {
  command = plan
  variables {
    alarms = { period_seconds = 45 }
  }
  expect_failures = [var.alarms]
}

run "invalid_alarm_thresholds" {
  command = plan
  variables {
    alarms = { evaluation_periods = 0 }
  }
  expect_failures = [var.alarms]
}

run "invalid_smoke_tests_dir" {
  command = plan
  variables {
    smoke_tests_dir = "../outside"
  }
  expect_failures = [var.smoke_tests_dir]
}

run "invalid_notification_email" {
  command = plan
  variables {
    notification_email = "not-an-email"
  }
  expect_failures = [var.notification_email]
}

run "invalid_kms_window" {
  command = plan
  variables {
    kms_deletion_window_in_days = 31
  }
  expect_failures = [var.kms_deletion_window_in_days]
}

run "invalid_ecr_repository_arns" {
  command = plan
  variables {
    ecr_repository_arns = ["my-repo"]
  }
  expect_failures = [var.ecr_repository_arns]
}

run "invalid_test_buildspec" {
  command = plan
  variables {
    test_buildspec = "../buildspecs/test.yml"
  }
  expect_failures = [var.test_buildspec]
}

run "invalid_test_report_names" {
  command = plan
  variables {
    test_report_names = ["smoke tests"]
  }
  expect_failures = [var.test_report_names]
}

# IAM role names are at most 64 characters: <project>-<stage>-sagemaker-execution must fit.
run "invalid_role_name_length" {
  command = plan
  variables {
    project = "a-rather-long-project-name-for-roles"
    stage   = "integration-eu"
  }
  expect_failures = [var.stage]
}

# S3 bucket names are at most 63 characters: <project>-<stage>-data-capture-<account id> must fit.
run "invalid_bucket_name_length" {
  command = plan
  variables {
    project = "churn-model-platform"
    stage   = "integration-eu-one"
  }
  expect_failures = [var.stage]
}

# Removing a model (or the stage) checks first that its endpoint is gone: the guard is there by default and
# depends on the rest, so it is destroyed first (its destroy-time check runs against AWS; the sandbox test
# tests/terraform/test_models.py removes a model with a live endpoint).
run "endpoint_guard_by_default" {
  command = plan

  variables {
    endpoint_guard = true
  }

  assert {
    condition     = length(terraform_data.endpoint_guard) == 1 && terraform_data.endpoint_guard[0].input.endpoint == "churn-dev" && terraform_data.endpoint_guard[0].input.teardown_project == "churn-dev-teardown"
    error_message = "The guard checks this stage's endpoint and names its teardown build."
  }
}
