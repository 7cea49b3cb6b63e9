"""The tooling side of a world: model package group (readable by the stage accounts), artifact bucket, ledger."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from deployer.ledger import Ledger, dynamodb_ledger
from sandbox.harness import REGION, TOOLING
from sandbox.testing import share_bucket_reads

IMAGE = f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/churn:latest"
MODEL_KEY = "model/model.tar.gz"
GROUP_READS = ("sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages")


def group_arn(group: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{group}"


def share_group(sm: Any, group: str, accounts: Iterable[str], actions: Iterable[str] = GROUP_READS) -> None:
    """The group's resource policy: the principals of `accounts` may read it and its versions."""
    statement = {
        "Sid": "StagesRead",
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{account}:root" for account in accounts]},
        "Action": list(actions),
        "Resource": [group_arn(group), f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package/{group}/*"],
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    sm.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=json.dumps(policy))


def create_ledger_table(dynamodb: Any, name: str) -> None:
    """The deployment ledger as modules/registry creates it: hash key pk, range key sk (both strings)."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )


def register_version(
    sm: Any,
    group: str,
    model_data_url: str,
    *,
    status: str = "Approved",
    environment: dict[str, str] | None = None,
    content_types: Iterable[str] = ("text/csv",),
    description: str = "",
    metrics_uri: str = "",
    instance_types: Iterable[str] = (),
) -> tuple[int, str]:
    """A new version of `group`; return (version, package ARN). `environment` is the container's;
    `metrics_uri` the model-quality statistics document (ModelMetrics.ModelQuality.Statistics);
    `instance_types` the real-time instance types it supports (none: any)."""
    container: dict[str, Any] = {"Image": IMAGE, "ModelDataUrl": model_data_url}
    if environment is not None:
        container["Environment"] = environment
    request: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "InferenceSpecification": {
            "Containers": [container],
            "SupportedContentTypes": list(content_types),
            "SupportedResponseMIMETypes": list(content_types),
        },
        "ModelApprovalStatus": status,
    }
    if description:
        request["ModelPackageDescription"] = description
    if metrics_uri:
        statistics = {"ContentType": "application/json", "S3Uri": metrics_uri}
        request["ModelMetrics"] = {"ModelQuality": {"Statistics": statistics}}
    if instance_types:
        request["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"] = list(instance_types)
    arn = str(sm.create_model_package(**request)["ModelPackageArn"])
    return int(sm.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"]), arn


class Registry:
    """Group, artifact bucket (one model object, readable by `readers`) and ledger table, all named `name-*`.

    `name` is the model (and the project). A model that joins another's platform passes `ledger_table`: the
    platform's table, shared, which it does not create.
    """

    def __init__(
        self, clients: Callable[[str], Any], name: str, readers: Iterable[str], *, ledger_table: str = ""
    ) -> None:
        self.name = name
        self.model = name
        self.group = f"{name}-models"
        self.group_arn = group_arn(self.group)
        self.bucket = f"{name}-artifacts"
        self.ledger_table = ledger_table or f"{name}-ledger"
        self.tooling_sm: Any = clients("sagemaker")
        self.dynamodb: Any = clients("dynamodb")
        self.tooling_sm.create_model_package_group(ModelPackageGroupName=self.group)
        s3: Any = clients("s3")
        s3.create_bucket(Bucket=self.bucket)
        s3.put_object(Bucket=self.bucket, Key=MODEL_KEY, Body=b"model bytes")
        share_bucket_reads(s3, self.bucket, list(readers))
        if not ledger_table:
            create_ledger_table(self.dynamodb, self.ledger_table)

    def share_with(self, accounts: Iterable[str]) -> None:
        share_group(self.tooling_sm, self.group, accounts)

    def set_status(self, arn: str, status: str) -> None:
        self.tooling_sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)

    def metadata(self, arn: str) -> dict[str, str]:
        """The deployer's marks on a version (its `deployer:` customer metadata)."""
        described = self.tooling_sm.describe_model_package(ModelPackageName=arn)
        properties = described.get("CustomerMetadataProperties") or {}
        return {k: v for k, v in properties.items() if k.startswith("deployer:")}

    def ledger(self, build_id: str = "", clock: Callable[[], float] = time.time) -> Ledger:
        """The model's ledger, read and written through its API (admin credentials)."""
        return dynamodb_ledger(self.dynamodb, self.ledger_table, model=self.model, build_id=build_id, clock=clock)
