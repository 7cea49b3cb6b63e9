locals {
  sandbox = var.aws_endpoint_url != ""
}

provider "aws" {
  alias               = "tooling"
  region              = var.region
  allowed_account_ids = [var.accounts.tooling]

  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.tooling}:role/${var.bootstrap_role_name}"
    session_name = "terraform-bootstrap"
  }

  default_tags {
    tags = merge(var.tags, { Project = var.project, ManagedBy = "terraform" })
  }

  # Local sandbox only (empty, the default, means real AWS).
  dynamic "endpoints" {
    for_each = local.sandbox ? [var.aws_endpoint_url] : []

    content {
      iam = endpoints.value
      kms = endpoints.value
      s3  = endpoints.value
      sts = endpoints.value
    }
  }

  s3_use_path_style = local.sandbox
}

provider "aws" {
  alias               = "dev"
  region              = var.region
  allowed_account_ids = [var.accounts.dev]

  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.dev}:role/${var.bootstrap_role_name}"
    session_name = "terraform-bootstrap"
  }

  default_tags {
    tags = merge(var.tags, { Project = var.project, ManagedBy = "terraform" })
  }

  # Local sandbox only (empty, the default, means real AWS).
  dynamic "endpoints" {
    for_each = local.sandbox ? [var.aws_endpoint_url] : []

    content {
      iam = endpoints.value
      kms = endpoints.value
      s3  = endpoints.value
      sts = endpoints.value
    }
  }

  s3_use_path_style = local.sandbox
}

provider "aws" {
  alias               = "staging"
  region              = var.region
  allowed_account_ids = [var.accounts.staging]

  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.staging}:role/${var.bootstrap_role_name}"
    session_name = "terraform-bootstrap"
  }

  default_tags {
    tags = merge(var.tags, { Project = var.project, ManagedBy = "terraform" })
  }

  # Local sandbox only (empty, the default, means real AWS).
  dynamic "endpoints" {
    for_each = local.sandbox ? [var.aws_endpoint_url] : []

    content {
      iam = endpoints.value
      kms = endpoints.value
      s3  = endpoints.value
      sts = endpoints.value
    }
  }

  s3_use_path_style = local.sandbox
}

provider "aws" {
  alias               = "prod"
  region              = var.region
  allowed_account_ids = [var.accounts.prod]

  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.prod}:role/${var.bootstrap_role_name}"
    session_name = "terraform-bootstrap"
  }

  default_tags {
    tags = merge(var.tags, { Project = var.project, ManagedBy = "terraform" })
  }

  # Local sandbox only (empty, the default, means real AWS).
  dynamic "endpoints" {
    for_each = local.sandbox ? [var.aws_endpoint_url] : []

    content {
      iam = endpoints.value
      kms = endpoints.value
      s3  = endpoints.value
      sts = endpoints.value
    }
  }

  s3_use_path_style = local.sandbox
}
