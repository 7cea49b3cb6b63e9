"""A small multi-account world for one stage in the sandbox, set up the way Terraform would leave it.

Tooling: model package group (with a policy that lets the stage account read it), artifact bucket, ledger
table. Stage account: SageMaker execution role and the two guardrail alarms. The stage config points at
all of them and assumes a registry role in tooling and a deploy role in the stage account.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from bench.common import ACCOUNTS, REGION, SandboxServer
from deployer.config import StageConfig, load_stage_config
from sandbox.testing import create_execution_role, share_bucket_reads

TOOLING = ACCOUNTS["tooling"]
IMAGE = f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/churn:latest"
_COUNTER = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 10000}-{next(_COUNTER)}"


def create_ledger_table(sandbox: SandboxServer, name: str) -> None:
    """The deployment ledger as modules/registry creates it: hash key pk, range key sk (both strings)."""
    dynamodb: Any = sandbox.client("dynamodb")
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )


def stage_config_doc(
    *,
    stage: str,
    account: str,
    group_arn: str,
    ledger_table: str,
    endpoint: str,
    execution_role_arn: str,
    alarms: list[str],
    capture_uri: str,
    deployment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A stage config as Terraform renders it; `deployment` overrides keys of its deployment section (None
    removes a key)."""
    section: dict[str, Any] = {
        "strategy": "canary",
        "step": {"type": "CAPACITY_PERCENT", "value": 50},
        "wait_seconds": 60,
        "termination_wait_seconds": 0,
        "max_execution_timeout_seconds": 1800,
        "rollback_alarms": list(alarms),
        **(deployment or {}),
    }
    return {
        "schema_version": 1,
        "project": "churn",
        "stage": stage,
        "previous_stage": "",
        "next_stage": "",
        "requires_approval": False,
        "registry": {
            "model_package_group": group_arn,
            "account_id": TOOLING,
            "region": REGION,
            "role_arn": f"arn:aws:iam::{TOOLING}:role/churn-deployer-{stage}",
        },
        "ledger": {"table_name": ledger_table},
        "promotion": {"next_stage_event_bus_arn": ""},
        "target": {"account_id": account, "region": REGION, "role_arn": f"arn:aws:iam::{account}:role/churn-deploy"},
        "endpoint": {
            "name": endpoint,
            "variant_name": "AllTraffic",
            "instance_type": "ml.m5.large",
            "instance_count": 2,
            "kms_key_arn": "",
            "execution_role_arn": execution_role_arn,
        },
        "data_capture": {
            "enabled": True,
            "sampling_percentage": 20,
            "destination_s3_uri": capture_uri,
            "kms_key_arn": "",
        },
        "deployment": {key: value for key, value in section.items() if value is not None},
        "autoscaling": {"enabled": True, "min_capacity": 2, "max_capacity": 4, "target_invocations_per_instance": 100},
        "smoke_tests": {"dir": "tests/smoke"},
        "tags": {"team": "ml-platform"},
    }


class World:
    """Registry, ledger, execution role and alarms for one endpoint of one stage."""

    def __init__(self, sandbox: SandboxServer, config_dir: Path, *, stage: str = "dev", prefix: str = "b") -> None:
        self.sandbox = sandbox
        self.stage = stage
        self.account = ACCOUNTS[stage]
        self.name = unique(prefix)
        self.group = f"{self.name}-models"
        self.group_arn = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{self.group}"
        self.endpoint = f"{self.name}-{stage}"
        self.bucket = f"{self.name}-artifacts"
        self.ledger_table = f"{self.name}-ledger"
        self.execution_role_arn = f"arn:aws:iam::{self.account}:role/{self.name}-exec"
        self.alarms = [f"{self.name}-5xx", f"{self.name}-latency"]
        self.config_dir = config_dir
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.tooling_sm: Any = sandbox.client("sagemaker")
        self._create_registry()
        self._create_ledger()
        self._create_target()

    def _create_registry(self) -> None:
        self.tooling_sm.create_model_package_group(ModelPackageGroupName=self.group)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "StagesRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{self.account}:root"]},
                    "Action": [
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:ListModelPackages",
                    ],
                    "Resource": [
                        self.group_arn,
                        f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package/{self.group}/*",
                    ],
                }
            ],
        }
        self.tooling_sm.put_model_package_group_policy(
            ModelPackageGroupName=self.group, ResourcePolicy=json.dumps(policy)
        )
        s3: Any = self.sandbox.client("s3")
        s3.create_bucket(Bucket=self.bucket)
        s3.put_object(Bucket=self.bucket, Key="model/model.tar.gz", Body=b"model bytes")
        share_bucket_reads(s3, self.bucket, [self.account])

    def _create_ledger(self) -> None:
        create_ledger_table(self.sandbox, self.ledger_table)

    def _create_target(self) -> None:
        self.sandbox.ensure_deployer_roles(self.account, self.stage)
        create_execution_role(
            self.sandbox.client("iam", self.stage),
            f"{self.name}-exec",
            artifact_bucket=self.bucket,
            alarm_arns=[f"arn:aws:cloudwatch:{REGION}:{self.account}:alarm:{a}" for a in self.alarms],
            capture_bucket=f"{self.name}-capture",
        )
        cloudwatch: Any = self.sandbox.client("cloudwatch", self.stage)
        for alarm in self.alarms:
            cloudwatch.put_metric_alarm(
                AlarmName=alarm,
                Namespace="AWS/SageMaker",
                MetricName="Invocation5XXErrors",
                Dimensions=[
                    {"Name": "EndpointName", "Value": self.endpoint},
                    {"Name": "VariantName", "Value": "AllTraffic"},
                ],
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )

    def add_version(self) -> tuple[int, str]:
        """Register a new Approved version; return (version, package ARN)."""
        arn = str(
            self.tooling_sm.create_model_package(
                ModelPackageGroupName=self.group,
                ModelPackageDescription="bench version",
                InferenceSpecification={
                    "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{self.bucket}/model/model.tar.gz"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
                ModelApprovalStatus="Approved",
            )["ModelPackageArn"]
        )
        version = int(self.tooling_sm.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"])
        return version, arn

    def config_doc(self, deployment: dict[str, Any] | None = None) -> dict[str, Any]:
        return stage_config_doc(
            stage=self.stage,
            account=self.account,
            group_arn=self.group_arn,
            ledger_table=self.ledger_table,
            endpoint=self.endpoint,
            execution_role_arn=self.execution_role_arn,
            alarms=self.alarms,
            capture_uri=f"s3://{self.name}-capture/capture",
            deployment=deployment,
        )

    def write_config(self, deployment: dict[str, Any] | None = None) -> StageConfig:
        path = self.config_dir / f"{self.stage}.json"
        path.write_text(json.dumps(self.config_doc(deployment), indent=2))
        return load_stage_config(self.config_dir, self.stage)
