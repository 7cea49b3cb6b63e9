"""A small multi-account world in the sandbox for deployer tests: registry in tooling, endpoint slot in dev."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from deployer.config import StageConfig, load_stage_config
from deployer.rollout import StageDeployer
from deployer.sessions import AccountSessions
from tests.conftest import ACCOUNTS, REGION, Sandbox

TOOLING, DEV = ACCOUNTS["tooling"], ACCOUNTS["dev"]
IMAGE = f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/churn:latest"


class World:
    """Model package group (with a policy for dev), artifact bucket, execution role and alarms in dev."""

    def __init__(self, sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path, *, share: bool = True) -> None:
        self.sandbox = sandbox
        self.name = unique("w")
        self.group = f"{self.name}-models"
        self.group_arn = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{self.group}"
        self.endpoint = f"{self.name}-dev"
        self.bucket = f"{self.name}-artifacts"
        self.execution_role_arn = f"arn:aws:iam::{DEV}:role/{self.name}-exec"
        self.alarms = [f"{self.name}-5xx", f"{self.name}-latency"]
        self.config_dir = tmp_path / "config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        clients: list[Any] = [
            sandbox.client("sagemaker"),
            sandbox.client("sagemaker", "dev"),
            sandbox.client("cloudwatch", "dev"),
            sandbox.client("application-autoscaling", "dev"),
        ]
        self.tooling_sm, self.dev_sm, self.dev_cw, self.dev_aas = clients

        self.tooling_sm.create_model_package_group(ModelPackageGroupName=self.group)
        if share:
            self.share_with_dev()
        s3: Any = sandbox.client("s3")
        s3.create_bucket(Bucket=self.bucket)
        s3.put_object(Bucket=self.bucket, Key="model/model.tar.gz", Body=b"model bytes")
        iam: Any = sandbox.client("iam", "dev")
        iam.create_role(
            RoleName=f"{self.name}-exec",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sagemaker.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        for alarm in self.alarms:
            self.dev_cw.put_metric_alarm(
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

    def share_with_dev(self) -> None:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "StagesRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{DEV}:root"]},
                    "Action": [
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:ListModelPackages",
                    ],
                    "Resource": [self.group_arn, f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package/{self.group}/*"],
                }
            ],
        }
        self.tooling_sm.put_model_package_group_policy(
            ModelPackageGroupName=self.group, ResourcePolicy=json.dumps(policy)
        )

    def add_version(
        self, *, fault: str = "", status: str = "Approved", key: str = "model/model.tar.gz"
    ) -> tuple[int, str]:
        env = {"SANDBOX_FAULT": fault} if fault else {}
        arn = self.tooling_sm.create_model_package(
            ModelPackageGroupName=self.group,
            ModelPackageDescription="test version",
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{self.bucket}/{key}", "Environment": env}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelApprovalStatus=status,
        )["ModelPackageArn"]
        version = int(self.tooling_sm.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"])
        return version, arn

    def config_doc(self, **sections: dict[str, Any]) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schema_version": 1,
            "project": "churn",
            "stage": "dev",
            "previous_stage": "",
            "next_stage": "staging",
            "requires_approval": False,
            "registry": {
                "model_package_group": self.group_arn,
                "account_id": TOOLING,
                "region": REGION,
                "role_arn": f"arn:aws:iam::{TOOLING}:role/churn-deployer-dev",
            },
            "ledger": {"table_name": "churn-ledger", "next_stage_event_bus_arn": ""},
            "target": {"account_id": DEV, "region": REGION, "role_arn": f"arn:aws:iam::{DEV}:role/churn-dev-deploy"},
            "endpoint": {
                "name": self.endpoint,
                "variant_name": "AllTraffic",
                "instance_type": "ml.m5.large",
                "instance_count": 2,
                "kms_key_arn": "",
                "execution_role_arn": self.execution_role_arn,
            },
            "data_capture": {
                "enabled": True,
                "sampling_percentage": 20,
                "destination_s3_uri": f"s3://{self.name}-capture/capture",
                "kms_key_arn": "",
            },
            "deployment": {
                "strategy": "canary",
                "step": {"type": "CAPACITY_PERCENT", "value": 50},
                "wait_seconds": 60,
                "termination_wait_seconds": 0,
                "max_execution_timeout_seconds": 1800,
                "rollback_alarms": list(self.alarms),
            },
            "autoscaling": {
                "enabled": True,
                "min_capacity": 2,
                "max_capacity": 4,
                "target_invocations_per_instance": 100,
            },
            "smoke_tests": {"dir": "tests/smoke"},
            "tags": {"team": "ml-platform"},
        }
        for key, value in sections.items():
            doc[key] = {**doc[key], **value} if isinstance(doc.get(key), dict) else value
        return doc

    def write_config(self, **sections: dict[str, Any]) -> StageConfig:
        (self.config_dir / "dev.json").write_text(json.dumps(self.config_doc(**sections), indent=2))
        return load_stage_config(self.config_dir, "dev")

    def deployer(self, config: StageConfig | None = None, *, keep: int = 3) -> StageDeployer:
        config = config or load_stage_config(self.config_dir, "dev")
        base = boto3.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox", region_name=REGION)
        return StageDeployer(config, AccountSessions("dev", base, build_id="churn-dev:test-build"), keep=keep)

    def ours(self) -> dict[str, list[str]]:
        """Models, endpoint configs and endpoints of this world in dev."""
        models = [m["ModelName"] for m in self.dev_sm.list_models()["Models"] if m["ModelName"].startswith(self.name)]
        configs = [
            c["EndpointConfigName"]
            for c in self.dev_sm.list_endpoint_configs(NameContains=self.name)["EndpointConfigs"]
        ]
        endpoints = [e["EndpointName"] for e in self.dev_sm.list_endpoints(NameContains=self.name)["Endpoints"]]
        return {"models": sorted(models), "configs": sorted(configs), "endpoints": sorted(endpoints)}

    def describe(self) -> dict[str, Any]:
        return dict(self.dev_sm.describe_endpoint(EndpointName=self.endpoint))


@pytest.fixture
def world(sandbox_env: Sandbox, unique: Callable[[str], str], tmp_path: Path) -> World:
    w = World(sandbox_env, unique, tmp_path)
    w.write_config()
    return w
