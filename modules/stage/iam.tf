################################################################################
# Service role trust: one service, this account, and the exact resources
# (aws:SourceArn) that may use the role. The ARNs are built from names, not
# resource attributes, so a role never depends on what uses it (no cycles).
################################################################################

locals {
  codebuild_project_arns = { for k, p in local.codebuild_projects : k => "arn:${local.partition}:codebuild:${local.region}:${local.account_id}:project/${p.name}" }

  service_trust = {
    for role, t in {
      codebuild      = { service = "codebuild.amazonaws.com", operator = "ArnEquals", arns = [for k in local.platform_projects : local.codebuild_project_arns[k]] }
      codebuild-test = { service = "codebuild.amazonaws.com", operator = "ArnEquals", arns = [local.codebuild_project_arns["test"]] }
      codepipeline   = { service = "codepipeline.amazonaws.com", operator = "ArnEquals", arns = [local.pipeline_arn] }
      events         = { service = "events.amazonaws.com", operator = "ArnEquals", arns = local.trigger_rule_arns }
      # SageMaker inference presents aws:SourceArn as the literal arn:<partition>:sagemaker:<region>:<account>:*
      # (AWS: "Do not replace the aws:SourceArn in this template with the full ARN of a specific model or
      # endpoint", SageMaker Developer Guide, cross-service confused deputy prevention, SageMaker AI Inference).
      sagemaker = { service = "sagemaker.amazonaws.com", operator = "ArnLike", arns = ["arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:*"] }
      } : role => jsonencode({
        Version = "2012-10-17"
        Statement = [
          {
            Sid       = "Service"
            Effect    = "Allow"
            Principal = { Service = t.service }
            Action    = "sts:AssumeRole"
            Condition = {
              StringEquals = { "aws:SourceAccount" = local.account_id }
              (t.operator) = { "aws:SourceArn" = t.arns }
            }
          },
        ]
    })
  }

  artifact_bucket_arn     = "arn:${local.partition}:s3:::${local.artifact_bucket_name}"
  data_capture_bucket_arn = "arn:${local.partition}:s3:::${local.data_capture_bucket_name}"
  codebuild_log_group_arns = {
    for k, p in local.codebuild_projects : k => [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/codebuild/${p.name}",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/codebuild/${p.name}:*",
    ]
  }
  report_group_arn = "arn:${local.partition}:codebuild:${local.region}:${local.account_id}:report-group"

  # Our SageMaker resources: the endpoint itself, and the deployer's <endpoint>-v<version>-<hash> configs and
  # models (the -v delimiter keeps churn-dev from matching churn-dev2 or churn-dev-eu's names).
  endpoint_config_arn_prefix = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:endpoint-config/${local.endpoint_name}-v"
  model_arn_prefix           = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model/${local.endpoint_name}-v"
  alarm_arn_prefix           = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:"
  rollback_alarm_arns        = ["${local.alarm_arn_prefix}${local.alarm_5xx_name}", "${local.alarm_arn_prefix}${local.alarm_latency_name}"]
  kms_via_s3                 = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }

  # Both CodeBuild roles run the deployer, which reads the platform config (source.tf): exactly that parameter,
  # and the stage key only through SSM for exactly that parameter (SSM's encryption context).
  platform_config_statements = [
    {
      Sid      = "PlatformConfigRead"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter"]
      Resource = [local.platform_config_parameter_arn]
    },
    {
      Sid      = "StageKeyDecryptPlatformConfig"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = [aws_kms_key.this.arn]
      Condition = {
        StringEquals = {
          "kms:ViaService"                      = "ssm.${local.region}.amazonaws.com"
          "kms:EncryptionContext:PARAMETER_ARN" = local.platform_config_parameter_arn
        }
      }
    },
  ]
}

################################################################################
# Platform role: the Deploy and Promote actions (buildspecs inline from Terraform)
################################################################################

resource "aws_iam_role" "codebuild" {
  name               = local.codebuild_role_name
  description        = "Platform role of the ${local.name} pipeline: runs the deployer in the Deploy and Promote actions (platform-owned buildspecs)."
  assume_role_policy = local.service_trust["codebuild"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "codebuild" {
  name   = "deployer"
  role   = aws_iam_role.codebuild.id
  policy = jsonencode(local.codebuild_policy)
}

locals {
  codebuild_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "BuildLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = flatten([for k in local.platform_projects : local.codebuild_log_group_arns[k]])
        },
        {
          # CodeBuild downloads the source artifact; the buildspec downloads the deployer wheel.
          Sid      = "PipelineArtifactsRead"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion"]
          Resource = ["${local.artifact_bucket_arn}/*"]
        },
        {
          Sid       = "StageKeyDecryptArtifacts"
          Effect    = "Allow"
          Action    = ["kms:Decrypt"]
          Resource  = [aws_kms_key.this.arn]
          Condition = local.kms_via_s3
        },
        {
          # Preflight checks the endpoint and data capture keys (both the stage key).
          Sid      = "StageKeyPreflight"
          Effect   = "Allow"
          Action   = ["kms:DescribeKey"]
          Resource = [aws_kms_key.this.arn]
        },
        {
          # CreateEndpointConfig with KmsKeyId: SageMaker creates grants on the stage key for the endpoint volumes.
          Sid       = "StageKeyGrantsForSageMaker"
          Effect    = "Allow"
          Action    = ["kms:CreateGrant"]
          Resource  = [aws_kms_key.this.arn]
          Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
        },
        merge(
          {
            # Preflight describes the KMS key of the candidate's artifact (the registry key).
            Sid      = "RegistryKeyPreflight"
            Effect   = "Allow"
            Action   = ["kms:DescribeKey"]
            Resource = [local.registry_kms_resource]
          },
          local.registry_kms_condition == null ? {} : { Condition = local.registry_kms_condition },
        ),
        {
          Sid      = "AssumeRegistryDeployerRole"
          Effect   = "Allow"
          Action   = ["sts:AssumeRole"]
          Resource = [local.registry_role_arn]
        },
        {
          # Preflight and CreateModel read the candidate package in the tooling account (its group policy allows it).
          Sid      = "RegistryReadForCreateModel"
          Effect   = "Allow"
          Action   = ["sagemaker:DescribeModelPackage"]
          Resource = [local.model_packages_arn]
        },
        {
          # Preflight HeadObjects the candidate's artifact; ListBucket makes a missing one a 404.
          Sid      = "RegistryArtifactPreflight"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = ["${local.registry_bucket_arn}/*"]
        },
        {
          Sid      = "RegistryArtifactBucket"
          Effect   = "Allow"
          Action   = ["s3:ListBucket"]
          Resource = [local.registry_bucket_arn]
        },
        {
          Sid      = "ExecutionRolePreflight"
          Effect   = "Allow"
          Action   = ["iam:GetRole"]
          Resource = [aws_iam_role.execution.arn]
        },
        {
          Sid    = "EndpointLifecycle"
          Effect = "Allow"
          Action = [
            "sagemaker:AddTags",
            "sagemaker:CreateEndpoint",
            "sagemaker:CreateEndpointConfig",
            "sagemaker:CreateModel",
            "sagemaker:DeleteEndpoint",
            "sagemaker:DeleteEndpointConfig",
            "sagemaker:DeleteModel",
            "sagemaker:DescribeEndpoint",
            "sagemaker:DescribeEndpointConfig",
            "sagemaker:DescribeModel",
            "sagemaker:InvokeEndpoint",
            "sagemaker:ListTags",
            "sagemaker:UpdateEndpoint",
          ]
          Resource = local.sagemaker_arns
        },
        {
          # RegisterScalableTarget (and Application Auto Scaling afterwards) updates the variant's capacity.
          Sid      = "AutoscalingEndpointCapacity"
          Effect   = "Allow"
          Action   = ["sagemaker:UpdateEndpointWeightsAndCapacities"]
          Resource = [local.endpoint_arn]
        },
        {
          # These List calls have no resource-level permissions.
          Sid      = "EndpointCleanupLists"
          Effect   = "Allow"
          Action   = ["sagemaker:ListEndpointConfigs", "sagemaker:ListEndpoints", "sagemaker:ListModels"]
          Resource = "*"
        },
        {
          # Cleanup deletes nothing that any endpoint in this account uses: it reads every endpoint's current and
          # pending config (read only; the endpoints' names are not known in advance).
          Sid      = "EndpointCleanupEndpointsInUse"
          Effect   = "Allow"
          Action   = ["sagemaker:DescribeEndpoint"]
          Resource = ["arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:endpoint/*"]
        },
        {
          # ... and the models those configs reference, whoever named the configs (read only).
          Sid      = "EndpointCleanupConfigsInUse"
          Effect   = "Allow"
          Action   = ["sagemaker:DescribeEndpointConfig"]
          Resource = ["arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:endpoint-config/*"]
        },
        {
          Sid      = "PassExecutionRole"
          Effect   = "Allow"
          Action   = ["iam:PassRole"]
          Resource = [aws_iam_role.execution.arn]
          Condition = {
            StringEquals = { "iam:PassedToService" = "sagemaker.amazonaws.com" }
          }
        },
        {
          # DescribeScalableTargets has no resource-level permissions and no condition keys.
          Sid      = "AutoscalingDescribe"
          Effect   = "Allow"
          Action   = ["application-autoscaling:DescribeScalableTargets"]
          Resource = "*"
        },
        {
          # Scalable-target ARNs carry an id that requests never name (and that a new target does not have yet),
          # so these are granted on "*", narrowed by the condition keys to the sagemaker namespace and the
          # variant instance count (as AWS's Application Auto Scaling policy examples do).
          Sid      = "AutoscalingEndpointVariant"
          Effect   = "Allow"
          Action   = ["application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget"]
          Resource = "*"
          Condition = {
            StringEquals = {
              "application-autoscaling:service-namespace"  = "sagemaker"
              "application-autoscaling:scalable-dimension" = "sagemaker:variant:DesiredInstanceCount"
            }
          }
        },
        {
          Sid      = "AutoscalingServiceLinkedRole"
          Effect   = "Allow"
          Action   = ["iam:CreateServiceLinkedRole"]
          Resource = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"]
          Condition = {
            StringEquals = { "iam:AWSServiceName" = "sagemaker.application-autoscaling.amazonaws.com" }
          }
        },
        {
          # Preflight reads the Terraform-managed rollback alarms; it may not change or delete them.
          Sid      = "RollbackAlarmsRead"
          Effect   = "Allow"
          Action   = ["cloudwatch:DescribeAlarms"]
          Resource = local.rollback_alarm_arns
        },
        {
          # The target-tracking alarms Application Auto Scaling manages for this endpoint's scaling policy.
          Sid      = "TargetTrackingAlarms"
          Effect   = "Allow"
          Action   = ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"]
          Resource = ["${local.alarm_arn_prefix}TargetTracking-endpoint/${local.endpoint_name}/*"]
        },
        {
          # The Promote action's JUnit report (report group <project>-<report name>, created on first upload).
          Sid      = "PromoteReports"
          Effect   = "Allow"
          Action   = ["codebuild:BatchPutTestCases", "codebuild:CreateReport", "codebuild:CreateReportGroup", "codebuild:UpdateReport"]
          Resource = ["${local.report_group_arn}/${local.codebuild_projects["promote"].name}-${local.promote_report_name}"]
        },
      ],
      local.platform_config_statements,
      var.next_stage_event_bus_arn == "" ? [] : [
        {
          Sid      = "PromoteToNextStage"
          Effect   = "Allow"
          Action   = ["events:PutEvents"]
          Resource = [var.next_stage_event_bus_arn]
        },
      ],
      local.codebuild_vpc_statements,
      local.deployer_wheelhouse_statements,
    )
  }

  # deployer_dependencies = "bundled": the install step (platform buildspecs and the seeded Test buildspec)
  # lists the wheelhouse prefix to copy it.
  deployer_wheelhouse_statements = local.deployer_bundled ? [
    {
      Sid       = "DeployerWheelhouseList"
      Effect    = "Allow"
      Action    = ["s3:ListBucket"]
      Resource  = [local.artifact_bucket_arn]
      Condition = { StringLike = { "s3:prefix" = ["deployer/wheelhouse/*"] } }
    },
  ] : []

  sagemaker_arns = [local.endpoint_arn, "${local.endpoint_config_arn_prefix}*", "${local.model_arn_prefix}*"]
}

################################################################################
# Test role: the team's Test action (buildspec from the stage repository).
# It may describe and invoke this stage's endpoint and write its own reports:
# no ledger, no registry, no endpoint changes, no promotion.
################################################################################

resource "aws_iam_role" "codebuild_test" {
  name               = local.test_role_name
  description        = "Test role of the ${local.name} pipeline: runs the stage repository's tests against the endpoint (read and invoke only)."
  assume_role_policy = local.service_trust["codebuild-test"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "codebuild_test" {
  name   = "test"
  role   = aws_iam_role.codebuild_test.id
  policy = jsonencode(local.codebuild_test_policy)
}

locals {
  codebuild_test_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "BuildLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = local.codebuild_log_group_arns["test"]
      },
      {
        Sid      = "PipelineArtifactsRead"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = ["${local.artifact_bucket_arn}/*"]
      },
      {
        Sid       = "StageKeyDecryptArtifacts"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [aws_kms_key.this.arn]
        Condition = local.kms_via_s3
      },
      {
        Sid      = "EndpointDescribeAndInvoke"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"]
        Resource = [local.endpoint_arn]
      },
      {
        # Which config and model the endpoint serves (the proof of the served version).
        Sid      = "EndpointConfigAndModelDescribe"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel", "sagemaker:ListTags"]
        Resource = ["${local.endpoint_config_arn_prefix}*", "${local.model_arn_prefix}*"]
      },
      {
        Sid      = "TestReports"
        Effect   = "Allow"
        Action   = ["codebuild:BatchPutTestCases", "codebuild:CreateReport", "codebuild:CreateReportGroup", "codebuild:UpdateReport"]
        Resource = [for r in var.test_report_names : "${local.report_group_arn}/${local.codebuild_projects["test"].name}-${r}"]
      },
      ],
      # `deployer test` in the team's buildspec needs the endpoint's name and the smoke settings.
      local.platform_config_statements,
      local.codebuild_vpc_statements,
      local.deployer_wheelhouse_statements,
    )
  }
}

################################################################################
# SageMaker execution role: used by the endpoint the deployer creates
################################################################################

resource "aws_iam_role" "execution" {
  name               = local.execution_role_name
  description        = "SageMaker execution role of the ${local.endpoint_name} endpoint."
  assume_role_policy = local.service_trust["sagemaker"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name   = "endpoint"
  role   = aws_iam_role.execution.id
  policy = jsonencode(local.execution_policy)
}

locals {
  execution_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "ModelArtifactsRead"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.registry_bucket_arn}/*"]
      },
      {
        Sid      = "ModelArtifactsList"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = [local.registry_bucket_arn]
      },
      {
        # The artifacts are SSE-KMS with the registry key: S3 decrypts on the execution role's behalf.
        Sid      = "ModelArtifactsDecrypt"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [local.registry_kms_resource]
        Condition = merge(
          { StringEquals = { "kms:ViaService" = "s3.${local.registry_region}.amazonaws.com" } },
          local.registry_kms_condition == null ? {} : local.registry_kms_condition,
        )
      },
      {
        # GetAuthorizationToken has no resource-level permissions.
        Sid      = "EcrToken"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid      = "EcrPull"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = local.ecr_repository_arns
      },
      {
        Sid    = "EndpointLogs"
        Effect = "Allow"
        Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        Resource = [
          "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/sagemaker/Endpoints/${local.endpoint_name}",
          "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/sagemaker/Endpoints/${local.endpoint_name}:*",
        ]
      },
      {
        # PutMetricData has no resource-level permissions; the namespace narrows it.
        Sid       = "EndpointMetrics"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = "*"
        Condition = { StringLike = { "cloudwatch:namespace" = ["/aws/sagemaker/*", "AWS/SageMaker"] } }
      },
      {
        # SageMaker reads the deployment's AutoRollbackConfiguration alarms as the execution role.
        Sid      = "RollbackAlarmsRead"
        Effect   = "Allow"
        Action   = ["cloudwatch:DescribeAlarms"]
        Resource = local.rollback_alarm_arns
      },
      {
        Sid      = "DataCaptureWrite"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${local.data_capture_bucket_arn}/${local.data_capture_prefix}/*"]
      },
      {
        Sid      = "DataCaptureBucket"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = [local.data_capture_bucket_arn]
      },
      {
        # Data capture objects are SSE-KMS with the stage key (written through S3).
        Sid       = "StageKeyDataCapture"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = [aws_kms_key.this.arn]
        Condition = local.kms_via_s3
      },
    ], local.execution_vpc_statements)
  }
}

################################################################################
# Pipeline role
################################################################################

resource "aws_iam_role" "pipeline" {
  name               = local.pipeline_role_name
  description        = "CodePipeline role of ${local.pipeline_name}."
  assume_role_policy = local.service_trust["codepipeline"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "pipeline"
  role   = aws_iam_role.pipeline.id
  policy = jsonencode(local.pipeline_policy)
}

locals {
  pipeline_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "ArtifactObjects"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
          Resource = ["${local.artifact_bucket_arn}/*"]
        },
        {
          Sid      = "ArtifactBucket"
          Effect   = "Allow"
          Action   = ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"]
          Resource = [local.artifact_bucket_arn]
        },
        {
          Sid      = "StageKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
          Resource = [aws_kms_key.this.arn]
        },
        {
          Sid      = "StartBuilds"
          Effect   = "Allow"
          Action   = ["codebuild:BatchGetBuilds", "codebuild:StartBuild"]
          Resource = [for k in local.pipeline_projects : local.codebuild_project_arns[k]]
        },
      ],
      local.use_codecommit ? [
        {
          Sid    = "SourceCodeCommit"
          Effect = "Allow"
          Action = [
            "codecommit:CancelUploadArchive",
            "codecommit:GetBranch",
            "codecommit:GetCommit",
            "codecommit:GetRepository",
            "codecommit:GetUploadArchiveStatus",
            "codecommit:UploadArchive",
          ]
          Resource = [local.repository_arn]
        },
        ] : [
        {
          Sid      = "SourceConnection"
          Effect   = "Allow"
          Action   = ["codeconnections:UseConnection", "codestar-connections:UseConnection"]
          Resource = [local.connection_arn]
        },
      ],
      local.create_topic ? [
        {
          Sid      = "ApprovalNotifications"
          Effect   = "Allow"
          Action   = ["sns:Publish"]
          Resource = [aws_sns_topic.this[0].arn]
        },
      ] : [],
    )
  }
}

################################################################################
# EventBridge role: starts exactly this pipeline
################################################################################

resource "aws_iam_role" "events" {
  name               = local.events_role_name
  description        = "EventBridge starts the ${local.pipeline_name} pipeline (and its rollback build)."
  assume_role_policy = local.service_trust["events"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "events" {
  name = "start-pipeline"
  role = aws_iam_role.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "StartPipeline"
        Effect   = "Allow"
        Action   = ["codepipeline:StartPipelineExecution"]
        Resource = [local.pipeline_arn]
      },
      ], local.requires_approval ? [
      {
        Sid      = "StartRollbackBuild"
        Effect   = "Allow"
        Action   = ["codebuild:StartBuild"]
        Resource = [local.codebuild_project_arns["rollback"]]
      },
    ] : [])
  })
}
