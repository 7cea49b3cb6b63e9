################################################################################
# Stage event bus: approvals (first stage) or promotions (later stages) arrive here
################################################################################

resource "aws_cloudwatch_event_bus" "this" {
  name = local.event_bus_name
  tags = var.tags
}

resource "aws_cloudwatch_event_bus_policy" "this" {
  event_bus_name = aws_cloudwatch_event_bus.this.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = var.previous_stage != "" ? "PreviousStagePutEvents" : "RegistryPutEvents"
          Effect    = "Allow"
          Principal = { AWS = "arn:${local.partition}:iam::${local.event_source_account_id}:root" }
          Action    = "events:PutEvents"
          Resource  = local.event_bus_arn
          Condition = merge({ ArnEquals = { "aws:PrincipalArn" = local.event_source_role_arn } }, local.org_condition)
        },
      ],
      # Later stages also take the registry's forwarded rejections, so a Rejected live version rolls back here.
      var.previous_stage == "" ? [] : [
        {
          Sid       = "RegistryRejections"
          Effect    = "Allow"
          Principal = { AWS = "arn:${local.partition}:iam::${var.tooling_account_id}:root" }
          Action    = "events:PutEvents"
          Resource  = local.event_bus_arn
          Condition = merge({ ArnEquals = { "aws:PrincipalArn" = local.registry_forward_role_arn } }, local.org_condition)
        },
      ],
    )
  })
}

locals {
  # SageMaker puts the state-change event on every UpdateModelPackage with the current ModelApprovalStatus, so a
  # metadata write (the deployer's marks) on an Approved version must not start the pipeline: only an update
  # that set the status (UpdatedModelPackageFields names it) or a creation (no such field) does.
  approval_change = [
    { UpdatedModelPackageFields = ["ModelApprovalStatus"] },
    { UpdatedModelPackageFields = [{ exists = false }] },
  ]

  trigger_rules = merge(
    {
      model-approval = {
        bus         = aws_cloudwatch_event_bus.this.name
        bus_name    = local.event_bus_name
        target      = "pipeline"
        description = "Start ${local.pipeline_name} when a ${var.project} model version is approved${local.requires_approval ? "" : " or rejected"} in the registry."
        pattern = {
          source        = ["aws.sagemaker"]
          "detail-type" = ["SageMaker Model Package State Change"]
          detail = {
            ModelPackageGroupName = [var.project]
            ModelApprovalStatus   = local.requires_approval ? ["Approved"] : ["Approved", "Rejected"]
            "$or"                 = local.approval_change
          }
        }
      }
    },
    # With a manual approval, a rejection goes to the Rollback build, not the pipeline: it must never wait at
    # the approval, and it only goes back to a version this stage already ran.
    var.previous_stage == "" && !local.requires_approval ? {} : {
      model-rejection = {
        bus         = aws_cloudwatch_event_bus.this.name
        bus_name    = local.event_bus_name
        target      = local.requires_approval ? "rollback" : "pipeline"
        description = "Start ${local.requires_approval ? "the rollback build of ${local.name}" : local.pipeline_name} when a ${var.project} model version is rejected, so a rejected live version rolls back."
        pattern = {
          source        = ["aws.sagemaker"]
          "detail-type" = ["SageMaker Model Package State Change"]
          detail = {
            ModelPackageGroupName = [var.project]
            ModelApprovalStatus   = ["Rejected"]
            "$or"                 = local.approval_change
          }
        }
      }
    },
    var.previous_stage == "" ? {} : {
      previous-stage-verified = {
        bus         = aws_cloudwatch_event_bus.this.name
        bus_name    = local.event_bus_name
        target      = "pipeline"
        description = "Start ${local.pipeline_name} when ${var.previous_stage} verified a model version for ${var.stage}."
        pattern = {
          source        = ["mlops.deployer"]
          "detail-type" = ["Model Version Verified"]
          detail = {
            next_stage = [var.stage]
          }
        }
      }
    },
    !local.use_codecommit ? {} : {
      source-push = {
        bus         = "default"
        bus_name    = "default"
        target      = "pipeline"
        description = "Start ${local.pipeline_name} on a push to ${var.repository_branch} of ${local.repository_name}."
        pattern = {
          source        = ["aws.codecommit"]
          "detail-type" = ["CodeCommit Repository State Change"]
          resources     = [local.repository_arn]
          detail = {
            event         = ["referenceCreated", "referenceUpdated"]
            referenceType = ["branch"]
            referenceName = [var.repository_branch]
          }
        }
      }
    },
  )
}

locals {
  # Rule ARNs from names (rule/<name> on the default bus, rule/<bus>/<name> on a custom bus): the events
  # role's trust names them without depending on the rules.
  trigger_rule_arns = [
    for k, r in local.trigger_rules : "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${r.bus_name == "default" ? "" : "${r.bus_name}/"}${local.name}-${k}"
  ]
}

resource "aws_cloudwatch_event_rule" "trigger" {
  for_each = local.trigger_rules

  name           = "${local.name}-${each.key}"
  description    = each.value.description
  event_bus_name = each.value.bus
  event_pattern  = jsonencode(each.value.pattern)
  state          = "ENABLED"
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "trigger" {
  for_each = local.trigger_rules

  rule           = aws_cloudwatch_event_rule.trigger[each.key].name
  event_bus_name = each.value.bus
  target_id      = each.value.target == "rollback" ? "start-rollback-build" : "start-pipeline"
  arn            = each.value.target == "rollback" ? aws_codebuild_project.this["rollback"].arn : aws_codepipeline.this.arn
  role_arn       = aws_iam_role.events.arn
}

################################################################################
# Pipeline failures -> optional SNS topic
################################################################################

resource "aws_cloudwatch_event_rule" "pipeline_failed" {
  count = local.create_topic ? 1 : 0

  name        = local.pipeline_failed_rule
  description = "Notify when an execution of ${local.pipeline_name} fails."
  state       = "ENABLED"
  event_pattern = jsonencode({
    source        = ["aws.codepipeline"]
    "detail-type" = ["CodePipeline Pipeline Execution State Change"]
    resources     = [local.pipeline_arn]
    detail = {
      pipeline = [local.pipeline_name]
      state    = ["FAILED"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "pipeline_failed" {
  count = local.create_topic ? 1 : 0

  rule      = aws_cloudwatch_event_rule.pipeline_failed[0].name
  target_id = "notification-topic"
  arn       = aws_sns_topic.this[0].arn
}
