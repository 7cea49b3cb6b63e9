# Mocked AWS answers shared by every test file of this module (mock_provider "aws" { source = ... }).

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "222222222222"
  }
}
mock_data "aws_region" {
  defaults = {
    name = "us-east-1"
  }
}
mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}
mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:us-east-1:222222222222:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}
mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::222222222222:role/mock"
  }
}
mock_resource "aws_codepipeline" {
  defaults = {
    arn = "arn:aws:codepipeline:us-east-1:222222222222:churn-dev"
  }
}
mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:us-east-1:222222222222:churn-dev-notifications"
  }
}
mock_resource "aws_cloudwatch_event_bus" {
  defaults = {
    arn = "arn:aws:events:us-east-1:222222222222:event-bus/churn-dev"
  }
}
mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:us-east-1:222222222222:rule/mock"
  }
}
mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mock"
  }
}
mock_resource "aws_codebuild_project" {
  defaults = {
    arn = "arn:aws:codebuild:us-east-1:222222222222:project/mock"
  }
}
mock_resource "aws_codecommit_repository" {
  defaults = {
    arn = "arn:aws:codecommit:us-east-1:222222222222:churn-dev"
  }
}
mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:222222222222:log-group:mock"
  }
}
mock_resource "aws_codestarconnections_connection" {
  defaults = {
    arn               = "arn:aws:codestar-connections:us-east-1:222222222222:connection/11111111-2222-3333-4444-555555555555"
    connection_status = "PENDING"
  }
}
