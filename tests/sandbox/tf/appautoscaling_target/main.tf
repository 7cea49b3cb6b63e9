variable "revision" {
  type        = string
  default     = "1"
  description = "Changed by the test to exercise in-place updates"
}

# A scalable target needs no live endpoint in AWS's API; the policy attaches to it.
resource "aws_appautoscaling_target" "variant" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/tf-gaps-endpoint/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 1
  max_capacity       = 4
  tags = {
    project  = "tf-gaps"
    revision = var.revision
  }
}

resource "aws_appautoscaling_policy" "invocations" {
  name               = "tf-gaps-invocations"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.variant.service_namespace
  resource_id        = aws_appautoscaling_target.variant.resource_id
  scalable_dimension = aws_appautoscaling_target.variant.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 70
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}
