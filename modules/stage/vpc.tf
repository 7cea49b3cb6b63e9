################################################################################
# Optional VPC: the EC2 permissions CodeBuild and SageMaker need to put network
# interfaces into the stage's subnets (var.vpc; docs/vpc.md)
################################################################################

locals {
  vpc_enabled      = var.vpc != null
  codebuild_in_vpc = local.vpc_enabled && try(var.vpc.codebuild, true)
  network_isolated = local.vpc_enabled && try(var.vpc.endpoint_network_isolation, false)

  ec2_arn_prefix  = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  vpc_arn         = local.vpc_enabled ? "${local.ec2_arn_prefix}:vpc/${var.vpc.vpc_id}" : ""
  vpc_subnet_arns = [for s in try(var.vpc.subnet_ids, []) : "${local.ec2_arn_prefix}:subnet/${s}"]
  vpc_sg_arns     = [for s in try(var.vpc.security_group_ids, []) : "${local.ec2_arn_prefix}:security-group/${s}"]
  # Interface ids are assigned on creation: any interface of this account and region, held to the VPC by ec2:Vpc.
  vpc_eni_arn = "${local.ec2_arn_prefix}:network-interface/*"

  # These Describe calls have no resource-level permissions: "*" is the only resource AWS accepts for them.
  vpc_describe_actions = [
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
  ]

  # Each list is empty without a VPC (a for filter: a conditional cannot pick between tuples of different lengths).
  # CodeBuild creates (and deletes) one interface per build as the project's service role, and validates the
  # VPC settings with the Describe calls when the project is created or updated.
  codebuild_vpc_statements = [for s in [
    {
      Sid       = "VpcBuildNetworkInterfaces"
      Effect    = "Allow"
      Action    = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
      Resource  = concat([local.vpc_eni_arn], local.vpc_subnet_arns, local.vpc_sg_arns)
      Condition = { ArnEquals = { "ec2:Vpc" = local.vpc_arn } }
    },
    {
      # As AWS's CodeBuild VPC policy: only for CodeBuild, only in the stage's subnets.
      Sid      = "VpcBuildNetworkInterfacePermission"
      Effect   = "Allow"
      Action   = ["ec2:CreateNetworkInterfacePermission"]
      Resource = [local.vpc_eni_arn]
      Condition = {
        StringEquals = {
          "ec2:Subnet"            = local.vpc_subnet_arns
          "ec2:AuthorizedService" = "codebuild.amazonaws.com"
        }
      }
    },
    {
      Sid      = "VpcBuildDescribe"
      Effect   = "Allow"
      Action   = local.vpc_describe_actions
      Resource = "*"
    },
  ] : s if local.codebuild_in_vpc]

  # SageMaker attaches the model containers to the subnets through interfaces it creates as the execution role
  # (and the permission that lets its own account use them); it deletes both when the endpoint goes.
  execution_vpc_statements = [for s in [
    {
      Sid    = "VpcModelNetworkInterfaces"
      Effect = "Allow"
      Action = [
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
      ]
      Resource  = concat([local.vpc_eni_arn], local.vpc_subnet_arns, local.vpc_sg_arns)
      Condition = { ArnEquals = { "ec2:Vpc" = local.vpc_arn } }
    },
    {
      Sid      = "VpcModelDescribe"
      Effect   = "Allow"
      Action   = local.vpc_describe_actions
      Resource = "*"
    },
  ] : s if local.vpc_enabled]

  # What the stage config tells the deployer (CreateModel's VpcConfig and EnableNetworkIsolation).
  endpoint_vpc_config = local.vpc_enabled ? {
    subnet_ids         = var.vpc.subnet_ids
    security_group_ids = var.vpc.security_group_ids
  } : null
}
