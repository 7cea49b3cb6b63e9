"""Per-service rules: for one decoded request, the Authorizations AWS checks (see sandbox.iam.requests).

Each module maps botocore operation names to rules for one service family; RULES maps a botocore
service name to the function that applies them.
"""

from __future__ import annotations

from sandbox.iam.services import (
    autoscaling,
    connections,
    devtools,
    dynamodb,
    events,
    identity,
    kms,
    messaging,
    observability,
    s3,
    sagemaker,
    ssm,
)
from sandbox.iam.services._call import Rule

RULES: dict[str, Rule] = {
    "sagemaker": sagemaker.rules,
    "sagemaker-runtime": sagemaker.runtime_rules,
    "dynamodb": dynamodb.rules,
    "events": events.rules,
    "kms": kms.rules,
    "s3": s3.rules,
    "sts": identity.sts_rules,
    "iam": identity.iam_rules,
    "codecommit": devtools.codecommit_rules,
    "codebuild": devtools.codebuild_rules,
    "codepipeline": devtools.codepipeline_rules,
    "ecr": devtools.ecr_rules,
    "cloudwatch": observability.cloudwatch_rules,
    "logs": observability.logs_rules,
    "application-autoscaling": autoscaling.rules,
    "sns": messaging.sns_rules,
    "sqs": messaging.sqs_rules,
    "codestar-connections": connections.rules,
    "codeconnections": connections.rules,
    "ssm": ssm.rules,
}

# botocore service name -> IAM prefix, where they differ.
_PREFIX_BY_SERVICE = {"sagemaker-runtime": "sagemaker", "sesv2": "ses"}
# SigV4 signing name -> IAM prefix, for requests no model identified.
_PREFIX_BY_SIGNING_NAME = {"monitoring": "cloudwatch", "email": "ses"}


def prefix_of(service: str, signing_name: str) -> str:
    if service in _PREFIX_BY_SERVICE:
        return _PREFIX_BY_SERVICE[service]
    if service in RULES:
        return service
    return _PREFIX_BY_SIGNING_NAME.get(signing_name, signing_name)
