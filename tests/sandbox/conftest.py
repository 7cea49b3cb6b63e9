"""Fixtures of the sandbox suite: the dev execution role that SageMaker hosting acts as."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ACCOUNTS, Sandbox

EXECUTION_ROLE = "churn-dev-sagemaker-execution"


@pytest.fixture(scope="session")
def execution_role(sandbox: Sandbox) -> str:
    """The dev execution role the hosting tests' models name: trusted by SageMaker, reads their artifacts."""
    iam: Any = sandbox.client("iam", "dev")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Artifacts", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artifacts/*"},
            {
                "Sid": "RollbackAlarms",
                "Effect": "Allow",
                "Action": "cloudwatch:DescribeAlarms",
                "Resource": f"arn:aws:cloudwatch:*:{ACCOUNTS['dev']}:alarm:*",
            },
            {
                "Sid": "Capture",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::churn-dev-data-capture/*",
            },
        ],
    }
    try:
        arn: str = iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"]
    iam.put_role_policy(RoleName=EXECUTION_ROLE, PolicyName="endpoint", PolicyDocument=json.dumps(policy))
    return arn
