################################################################################
# The role EventBridge uses to forward every model's approval changes (the rules
# are per model, modules/registry-model) to that model's buses in the stage accounts
################################################################################

locals {
  # Every model's forwarding rules are <prefix>-model-approval-forward and -rejection-forward on this
  # account's default bus, with the prefix inside <platform>-*; their targets are the models' buses,
  # <prefix>-<stage>. Patterns: the role stays the same as models come and go.
  forward_rule_patterns = [
    "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.platform}-*-forward",
  ]
  stage_bus_patterns = sort(distinct([for s in local.stages : "arn:${local.partition}:events:${s.region}:${s.account_id}:event-bus/${var.platform}-*"]))
}

resource "aws_iam_role" "events_forward" {
  name        = local.forward_role_name
  description = "EventBridge puts the ${var.platform} models' approval and rejection events on their stage buses."
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
          ArnLike      = { "aws:SourceArn" = local.forward_rule_patterns }
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
        Resource = local.stage_bus_patterns
      },
    ]
  })
}
