data "aws_caller_identity" "current" {}

resource "aws_iam_role" "execution" {
  name = "tf-gaps-sagemaker-execution"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sagemaker.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_sagemaker_model" "this" {
  name               = "tf-gaps-model"
  execution_role_arn = aws_iam_role.execution.arn

  primary_container {
    image          = "763104351884.dkr.ecr.us-east-1.amazonaws.com/sklearn-inference:1.2-1"
    model_data_url = "s3://tf-gaps-models/model.tar.gz"
    environment = {
      SAGEMAKER_PROGRAM = "inference.py"
    }
  }

  tags = {
    project = "tf-gaps"
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  name = "tf-gaps-config"

  production_variants {
    variant_name           = "AllTraffic"
    model_name             = aws_sagemaker_model.this.name
    initial_instance_count = 1
    instance_type          = "ml.m5.large"
  }
}
