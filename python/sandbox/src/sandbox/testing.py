"""What tests and benchmarks need to stand up a world the sandbox's IAM lets through.

The sandbox enforces IAM, so a test world needs real roles: an administrator role to act in an account,
and execution roles and bucket policies that let SageMaker hosting read model artifacts across accounts.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import boto3

# Every sandbox account has it, as AWS Organizations creates it: administrator access, trusting tooling.
ADMIN_ROLE = "OrganizationAccountAccessRole"
ADMIN_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def trust(principal: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def ensure_admin_role(iam: Any, name: str, trusted_account: str) -> None:
    """Create `name` (once) as an administrator that `trusted_account`'s principals may assume."""
    try:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{trusted_account}:root"}))
    except iam.exceptions.EntityAlreadyExistsException:
        return
    iam.put_role_policy(RoleName=name, PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))


def create_execution_role(
    iam: Any, name: str, *, artifact_bucket: str | Sequence[str], alarm_arns: Iterable[str], capture_bucket: str
) -> None:
    """A SageMaker execution role that reads the artifacts (of one bucket or several) and the rollback alarms and
    writes data capture. An existing role keeps its trust and gets the policy again."""
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": "sagemaker.amazonaws.com"}))
    buckets = [artifact_bucket] if isinstance(artifact_bucket, str) else list(artifact_bucket)
    artifacts = [f"arn:aws:s3:::{bucket}/*" for bucket in buckets]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Artifacts",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": artifacts[0] if isinstance(artifact_bucket, str) else artifacts,
            },
            {
                "Sid": "Alarms",
                "Effect": "Allow",
                "Action": "cloudwatch:DescribeAlarms",
                "Resource": list(alarm_arns) or "*",
            },
            {
                "Sid": "Capture",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{capture_bucket}/*",
            },
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="endpoint", PolicyDocument=json.dumps(policy))


def share_bucket_reads(s3: Any, bucket: str, accounts: Iterable[str]) -> None:
    """The bucket side of cross-account artifact reads: each account's principals may GetObject."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountsRead",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def let_eventbridge_send(sqs: Any, queue_url: str, queue_arn: str) -> None:
    """The queue policy an EventBridge rule target needs: the events service, for rules of the same account."""
    account = queue_arn.split(":")[4]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})


def session_from(credentials: Mapping[str, Any], region: str) -> boto3.Session:
    """A boto3 session for STS credentials (an AssumeRole answer's `Credentials`)."""
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
