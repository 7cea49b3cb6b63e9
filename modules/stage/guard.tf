################################################################################
# Endpoint guard: a model whose endpoint is live cannot be removed by a config edit
#
# The endpoint is the deployer's; this module owns what it runs on (execution role, key, buckets, pipeline).
# Removing the model from the models map (or destroying the stage) first destroys this guard, whose destroy
# provisioner asks SageMaker whether the endpoint still exists and fails the apply if it does. It depends on
# every other resource here, so it is destroyed first and a refusal leaves the rest in place. The ledger history
# is in the tooling account's shared table and is never removed with a model.
################################################################################

resource "terraform_data" "endpoint_guard" {
  count = var.endpoint_guard ? 1 : 0

  # Only the endpoint's identity replaces the guard; the rest (interpreter, role) updates in place, so a normal
  # apply never runs the check.
  triggers_replace = [local.endpoint_name, local.account_id, local.region]

  input = {
    endpoint         = local.endpoint_name
    region           = local.region
    role_arn         = var.seed_role_arn
    python           = var.seed_python
    script           = "${path.module}/endpoint_guard.py"
    teardown_project = local.codebuild_projects["teardown"].name
  }

  provisioner "local-exec" {
    when        = destroy
    interpreter = ["/bin/sh", "-c"]
    command     = "\"$GUARD_PYTHON\" \"$GUARD_SCRIPT\" --endpoint \"$GUARD_ENDPOINT\" --region \"$GUARD_REGION\" --role-arn \"$GUARD_ROLE_ARN\" --teardown-project \"$GUARD_TEARDOWN\""
    environment = {
      GUARD_PYTHON   = self.input.python
      GUARD_SCRIPT   = self.input.script
      GUARD_ENDPOINT = self.input.endpoint
      GUARD_REGION   = self.input.region
      GUARD_ROLE_ARN = self.input.role_arn
      GUARD_TEARDOWN = self.input.teardown_project
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.this, aws_codebuild_project.this, aws_codestarconnections_connection.this,
    aws_cloudwatch_metric_alarm.invocation_5xx, aws_cloudwatch_metric_alarm.model_latency,
    aws_sns_topic.this, aws_sns_topic_policy.this, aws_sns_topic_subscription.this,
    aws_cloudwatch_event_bus.this, aws_cloudwatch_event_bus_policy.this, aws_cloudwatch_event_rule.trigger,
    aws_cloudwatch_event_target.trigger, aws_cloudwatch_event_rule.pipeline_failed, aws_cloudwatch_event_target.pipeline_failed,
    aws_iam_role.codebuild, aws_iam_role_policy.codebuild, aws_iam_role.codebuild_test, aws_iam_role_policy.codebuild_test,
    aws_iam_role.execution, aws_iam_role_policy.execution, aws_iam_role.pipeline, aws_iam_role_policy.pipeline,
    aws_iam_role.events, aws_iam_role_policy.events, aws_kms_key.this, aws_kms_alias.this,
    aws_s3_bucket.this, aws_s3_bucket_ownership_controls.this, aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_versioning.this, aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_lifecycle_configuration.this, aws_s3_bucket_policy.this, aws_s3_object.deployer_wheel,
    aws_s3_object.deployer_lock, aws_s3_object.deployer_wheelhouse, aws_codepipeline.this,
    aws_ssm_parameter.platform_config, aws_codecommit_repository.this, terraform_data.seed,
  ]
}
