################################################################################
# Forward approval changes of our group to the first stage's event bus
################################################################################

resource "aws_cloudwatch_event_rule" "this" {
  name        = local.forward_rule_name
  description = "Forward ${var.project} model package approvals and rejections to the ${local.first_stage.name} stage."
  state       = "ENABLED"

  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [var.project]
      ModelApprovalStatus   = ["Approved", "Rejected"]
      "$or"                 = local.approval_change
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "${local.first_stage.name}-event-bus"
  arn       = local.first_stage_bus_arn
  role_arn  = aws_iam_role.events_forward.arn
}

################################################################################
# Forward rejections to every later stage's bus too: a Rejected version that is
# live in staging or prod must roll back there, not only in the first stage.
################################################################################

locals {
  # SageMaker puts the state-change event on every UpdateModelPackage, and its ModelApprovalStatus is the
  # current status, so a metadata write (the deployer's marks) on an Approved version looks like an approval.
  # Only an update that set the status (UpdatedModelPackageFields names it) or a creation (no such field) counts.
  approval_change = [
    { UpdatedModelPackageFields = ["ModelApprovalStatus"] },
    { UpdatedModelPackageFields = [{ exists = false }] },
  ]

  # The rules that use the forwarding role (default bus: rule/<name>); deterministic, so no cycle with the role.
  forward_rule_arns = concat(
    ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.forward_rule_name}"],
    length(local.later_stage_bus_arns) > 0 ? ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.rejection_rule_name}"] : [],
  )

  later_stage_bus_arns = {
    for name, s in local.stages : name => "arn:${local.partition}:events:${s.region}:${s.account_id}:event-bus/${var.project}-${name}"
    if name != local.first_stage.name
  }
}

resource "aws_cloudwatch_event_rule" "rejection" {
  count = length(local.later_stage_bus_arns) > 0 ? 1 : 0

  name        = local.rejection_rule_name
  description = "Forward ${var.project} model package rejections to the later stages (${join(", ", keys(local.later_stage_bus_arns))})."
  state       = "ENABLED"

  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [var.project]
      ModelApprovalStatus   = ["Rejected"]
      "$or"                 = local.approval_change
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "rejection" {
  for_each = local.later_stage_bus_arns

  rule      = aws_cloudwatch_event_rule.rejection[0].name
  target_id = "${each.key}-event-bus"
  arn       = each.value
  role_arn  = aws_iam_role.events_forward.arn
}

resource "aws_iam_role" "events_forward" {
  name        = local.forward_role_name
  description = "EventBridge puts ${var.project} approval and rejection events on the stage buses."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EventBridge"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnEquals    = { "aws:SourceArn" = local.forward_rule_arns }
        }
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "events_forward" {
  name = "put-events-stage-buses"
  role = aws_iam_role.events_forward.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PutEventsStageBuses"
        Effect   = "Allow"
        Action   = "events:PutEvents"
        Resource = concat([local.first_stage_bus_arn], values(local.later_stage_bus_arns))
      },
    ]
  })
}
