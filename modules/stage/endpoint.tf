################################################################################
# Endpoint guardrails: the deployer's rollback alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "invocation_5xx" {
  alarm_name          = local.alarm_5xx_name
  alarm_description   = "${local.endpoint_name}: model container 5xx errors. Rolls back a blue/green deployment."
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.alarms.invocation_5xx_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.create_topic ? [aws_sns_topic.this[0].arn] : []
  ok_actions          = local.create_topic ? [aws_sns_topic.this[0].arn] : []

  dimensions = {
    EndpointName = local.endpoint_name
    VariantName  = local.variant_name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "model_latency" {
  alarm_name          = local.alarm_latency_name
  alarm_description   = "${local.endpoint_name}: average model latency above ${var.alarms.model_latency_threshold_microseconds} microseconds. Rolls back a blue/green deployment."
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  statistic           = "Average"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.alarms.model_latency_threshold_microseconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.create_topic ? [aws_sns_topic.this[0].arn] : []
  ok_actions          = local.create_topic ? [aws_sns_topic.this[0].arn] : []

  dimensions = {
    EndpointName = local.endpoint_name
    VariantName  = local.variant_name
  }

  tags = var.tags
}

################################################################################
# Notification topic (optional)
################################################################################

resource "aws_sns_topic" "this" {
  count = local.create_topic ? 1 : 0

  name              = "${local.name}-notifications"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "this" {
  count = local.create_topic ? 1 : 0

  arn = aws_sns_topic.this[0].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountOwner"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "sns:AddPermission",
          "sns:DeleteTopic",
          "sns:GetTopicAttributes",
          "sns:ListSubscriptionsByTopic",
          "sns:Publish",
          "sns:RemovePermission",
          "sns:SetTopicAttributes",
          "sns:Subscribe",
        ]
        Resource = aws_sns_topic.this[0].arn
      },
      {
        Sid       = "PipelineFailedRule"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this[0].arn
        Condition = { ArnEquals = { "aws:SourceArn" = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.pipeline_failed_rule}" } }
      },
      {
        Sid       = "GuardrailAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this[0].arn
        Condition = { ArnEquals = { "aws:SourceArn" = local.rollback_alarm_arns } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "this" {
  count = var.notification_email != "" ? 1 : 0

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = "email"
  endpoint  = var.notification_email
}
