################################################################################
# Service role trust: one service, this account only
################################################################################

locals {
  service_trust = {
    for service in ["codebuild", "codepipeline", "events", "sagemaker"] : service => jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "Service"
          Effect    = "Allow"
          Principal = { Service = "${service}.amazonaws.com" }
          Action    = "sts:AssumeRole"
          Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
        },
      ]
    })
  }

  artifact_bucket_arn     = "arn:${local.partition}:s3:::${local.artifact_bucket_name}"
  data_capture_bucket_arn = "arn:${local.partition}:s3:::${local.data_capture_bucket_name}"
  codebuild_log_group_arns = flatten([
    for k, p in local.codebuild_projects : [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/codebuild/${p.name}",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/codebuild/${p.name}:*",
    ]
  ])
}

################################################################################
# CodeBuild role: runs the deployer (deploy, test, promote)
################################################################################

resource "aws_iam_role" "codebuild" {
  name               = local.codebuild_role_name
  description        = "CodeBuild role of the ${local.name} pipeline: runs the deployer."
  assume_role_policy = local.service_trust["codebuild"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "codebuild" {
  name   = "deployer"
  role   = aws_iam_role.codebuild.id
  policy = jsonencode(local.codebuild_policy)
}

locals {
  sagemaker_prefix_arns = [
    "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:endpoint/${local.name}*",
    "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:endpoint-config/${local.name}*",
    "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model/${local.name}*",
  ]

  codebuild_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "BuildLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = local.codebuild_log_group_arns
        },
        {
          Sid      = "PipelineArtifacts"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
          Resource = ["${local.artifact_bucket_arn}/*"]
        },
        {
          Sid      = "BucketPreflight"
          Effect   = "Allow"
          Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
          Resource = [local.artifact_bucket_arn, local.data_capture_bucket_arn, local.registry_bucket_arn]
        },
        {
          Sid      = "StageKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
          Resource = [aws_kms_key.this.arn]
        },
        {
          # SageMaker creates grants on the stage key for endpoint storage volumes.
          Sid       = "StageKeyGrantsForSageMaker"
          Effect    = "Allow"
          Action    = ["kms:CreateGrant"]
          Resource  = [aws_kms_key.this.arn]
          Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
        },
        merge(
          {
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
          Sid      = "RegistryReadForCreateModel"
          Effect   = "Allow"
          Action   = ["sagemaker:DescribeModelPackage"]
          Resource = [local.model_packages_arn]
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
            "sagemaker:UpdateEndpointWeightsAndCapacities",
          ]
          Resource = local.sagemaker_prefix_arns
        },
        {
          # These List calls have no resource-level permissions.
          Sid      = "EndpointCleanupLists"
          Effect   = "Allow"
          Action   = ["sagemaker:ListEndpointConfigs", "sagemaker:ListEndpoints", "sagemaker:ListModels"]
          Resource = "*"
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
          # Describe calls of Application Auto Scaling have no resource-level permissions.
          Sid      = "AutoscalingDescribe"
          Effect   = "Allow"
          Action   = ["application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingActivities", "application-autoscaling:DescribeScalingPolicies"]
          Resource = "*"
        },
        {
          Sid    = "AutoscalingEndpointVariant"
          Effect = "Allow"
          Action = [
            "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:TagResource",
          ]
          Resource = ["arn:${local.partition}:application-autoscaling:${local.region}:${local.account_id}:scalable-target/*"]
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
          Sid    = "GuardrailAndTargetTrackingAlarms"
          Effect = "Allow"
          Action = ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"]
          Resource = [
            "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.name}-*",
            "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:TargetTracking-endpoint/${local.endpoint_name}/*",
          ]
        },
      ],
      var.next_stage_event_bus_arn == "" ? [] : [
        {
          Sid      = "PromoteToNextStage"
          Effect   = "Allow"
          Action   = ["events:PutEvents"]
          Resource = [var.next_stage_event_bus_arn]
        },
      ],
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
    Statement = [
      {
        Sid      = "ModelArtifactsRead"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${local.registry_bucket_arn}/*"]
      },
      {
        Sid      = "ModelArtifactsList"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = [local.registry_bucket_arn]
      },
      merge(
        {
          Sid      = "ModelArtifactsDecrypt"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:DescribeKey"]
          Resource = [local.registry_kms_resource]
        },
        local.registry_kms_condition == null ? {} : { Condition = local.registry_kms_condition },
      ),
      {
        Sid      = "ModelPackageRead"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeModelPackage"]
        Resource = [local.model_packages_arn]
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
        Sid      = "StageKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource = [aws_kms_key.this.arn]
      },
    ]
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
          Resource = [for k, p in local.codebuild_projects : "arn:${local.partition}:codebuild:${local.region}:${local.account_id}:project/${p.name}"]
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
          Resource = [var.source_connection.connection_arn]
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
  description        = "EventBridge starts the ${local.pipeline_name} pipeline."
  assume_role_policy = local.service_trust["events"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "events" {
  name = "start-pipeline"
  role = aws_iam_role.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "StartPipeline"
        Effect   = "Allow"
        Action   = ["codepipeline:StartPipelineExecution"]
        Resource = [local.pipeline_arn]
      },
    ]
  })
}
