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

resource "aws_iam_role" "events_forward" {
  name        = local.forward_role_name
  description = "EventBridge puts ${var.project} approval events on the ${local.first_stage.name} stage bus."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EventBridge"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "events_forward" {
  name = "put-events-first-stage"
  role = aws_iam_role.events_forward.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PutEventsFirstStageBus"
        Effect   = "Allow"
        Action   = "events:PutEvents"
        Resource = local.first_stage_bus_arn
      },
    ]
  })
}
