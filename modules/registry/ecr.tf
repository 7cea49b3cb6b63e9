################################################################################
# Optional: let the stage execution roles pull inference images from ECR
# repositories of this account (the repositories themselves are not managed here)
################################################################################

resource "aws_ecr_repository_policy" "this" {
  for_each = toset(var.ecr_repository_names)

  repository = each.value
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "StageExecutionRolesPull"
        Effect    = "Allow"
        Principal = { AWS = local.stage_account_roots }
        Action    = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Condition = merge({ ArnLike = { "aws:PrincipalArn" = local.execution_role_patterns } }, local.org_condition)
      },
    ]
  })
}
