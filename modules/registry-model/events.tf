################################################################################
# Forward approval changes of this model's group to the first stage's event bus
# (the forwarding role is the platform's, shared: modules/registry)
################################################################################

resource "aws_cloudwatch_event_rule" "this" {
  name        = local.forward_rule_name
  description = "Forward ${var.model} model package approvals and rejections to the ${local.first_stage.name} stage."
  state       = "ENABLED"

  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [aws_sagemaker_model_package_group.this.model_package_group_name]
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
  role_arn  = var.events_forward_role_arn
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

  later_stage_bus_arns = {
    for name, s in local.stages : name => "arn:${local.partition}:events:${s.region}:${s.account_id}:event-bus/${var.prefix}-${name}"
    if name != local.first_stage.name
  }
}

resource "aws_cloudwatch_event_rule" "rejection" {
  count = length(local.later_stage_bus_arns) > 0 ? 1 : 0

  name        = local.rejection_rule_name
  description = "Forward ${var.model} model package rejections to the later stages (${join(", ", keys(local.later_stage_bus_arns))})."
  state       = "ENABLED"

  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [aws_sagemaker_model_package_group.this.model_package_group_name]
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
  role_arn  = var.events_forward_role_arn
}
