"""A small multi-account world in the sandbox for deployer tests.

tooling: the model package group (shared with every stage account), the artifact bucket and the ledger table.
Each stage slot (dev, and on demand staging and prod): the execution role, two rollback alarms, its event bus
(whose policy lets the previous stage's deploy role put events, as modules/stage does) with a rule that
forwards "Model Version Verified" events for it into an SQS queue the tests read, and config/<stage>.json.
The configs sit in `tmp_path/config`, so the repo root is `tmp_path`, which holds the seed smoke tests.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest

from deployer.cli import main
from deployer.config import StageConfig, load_stage_config
from deployer.ledger import Ledger, dynamodb_ledger
from deployer.promotion import StageRun, open_stage_run
from deployer.rollout import StageDeployer
from deployer.sessions import AccountSessions, shared_loader
from sandbox.testing import create_execution_role, let_eventbridge_send, share_bucket_reads
from tests.conftest import ACCOUNTS, REGION, REPO, Sandbox

TOOLING, DEV, STAGING, PROD = ACCOUNTS["tooling"], ACCOUNTS["dev"], ACCOUNTS["staging"], ACCOUNTS["prod"]
IMAGE = f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/churn:latest"
CHAIN = ("dev", "staging", "prod")
SEED_SMOKE = REPO / "seed" / "tests" / "smoke"


def base_session() -> boto3.Session:
    core = botocore.session.Session()
    core.register_component("data_loader", shared_loader())
    core.set_credentials("sandbox", "sandbox")
    return boto3.Session(botocore_session=core, region_name=REGION)


_ADMIN: dict[tuple[str, str], boto3.Session] = {}


def admin_session(sandbox: Sandbox, account: str) -> boto3.Session:
    """An admin session in `account`, assumed once per sandbox and sharing parsed service models."""
    key = (sandbox.url, account)
    if key not in _ADMIN:
        base = base_session()
        if ACCOUNTS[account] == TOOLING:
            _ADMIN[key] = base
        else:
            creds = base.client("sts", endpoint_url=sandbox.url).assume_role(
                RoleArn=f"arn:aws:iam::{ACCOUNTS[account]}:role/OrganizationAccountAccessRole", RoleSessionName="tests"
            )["Credentials"]
            core = botocore.session.Session()
            core.register_component("data_loader", shared_loader())
            core.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
            _ADMIN[key] = boto3.Session(botocore_session=core, region_name=REGION)
    return _ADMIN[key]


def admin_client(sandbox: Sandbox, service: str, account: str = "tooling") -> Any:
    return admin_session(sandbox, account).client(service, endpoint_url=sandbox.url)


class Body:
    """A raw response body for botocore `before-send` hooks that answer instead of the sandbox."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._unread = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data

    def read(self, amt: int | None = None) -> bytes:  # streaming outputs (InvokeEndpoint's Body)
        chunk = self._unread if amt is None else self._unread[:amt]
        self._unread = self._unread[len(chunk) :]
        return chunk


def deploy_role(stage: str) -> str:
    return f"arn:aws:iam::{ACCOUNTS[stage]}:role/churn-{stage}-deploy"


class Slot:
    """One stage's account side: execution role, alarms, bus, queue of promotion events, config file."""

    def __init__(self, world: World, stage: str) -> None:
        self.world = world
        self.stage = stage
        self.account = ACCOUNTS[stage]
        self.endpoint = f"{world.name}-{stage}"
        self.execution_role_arn = f"arn:aws:iam::{self.account}:role/{world.name}-{stage}-exec"
        self.alarms = [f"{self.endpoint}-5xx", f"{self.endpoint}-latency"]
        self.bus_name = f"{world.name}-{stage}"
        self.bus_arn = f"arn:aws:events:{REGION}:{self.account}:event-bus/{self.bus_name}"
        sandbox = world.sandbox
        clients: list[Any] = [
            admin_client(sandbox, "sagemaker", stage),
            admin_client(sandbox, "cloudwatch", stage),
            admin_client(sandbox, "application-autoscaling", stage),
            admin_client(sandbox, "events", stage),
            admin_client(sandbox, "sqs", stage),
        ]
        self.sm, self.cw, self.aas, self.events, self.sqs = clients
        # The deployer's two roles, as administrators: these tests prove the deployer's behaviour; the
        # modules' least-privilege policies are proven by the apply and end-to-end tests.
        sandbox.ensure_admin_role(self.account, f"churn-{stage}-deploy")
        sandbox.ensure_admin_role(TOOLING, f"churn-deployer-{stage}")
        create_execution_role(
            admin_client(sandbox, "iam", stage),
            f"{world.name}-{stage}-exec",
            artifact_bucket=world.bucket,
            alarm_arns=[f"arn:aws:cloudwatch:{REGION}:{self.account}:alarm:{a}" for a in self.alarms],
            capture_bucket=f"{world.name}-capture",
        )
        for alarm in self.alarms:
            self.cw.put_metric_alarm(
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
        self.queue_url = ""

    def listen_for_promotions(self, previous: str) -> None:
        """The stage's bus, its policy for the previous stage's deploy role, and a rule into an SQS queue."""
        self.events.create_event_bus(Name=self.bus_name)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PreviousStagePutEvents",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS[previous]}:root"},
                    "Action": "events:PutEvents",
                    "Resource": self.bus_arn,
                    "Condition": {"ArnEquals": {"aws:PrincipalArn": deploy_role(previous)}},
                }
            ],
        }
        self.events.put_permission(EventBusName=self.bus_name, Policy=json.dumps(policy))
        self.queue_url = self.sqs.create_queue(QueueName=f"{self.bus_name}-promotions")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        let_eventbridge_send(self.sqs, self.queue_url, queue_arn)
        rule = f"{self.bus_name}-previous-stage-verified"
        self.events.put_rule(
            Name=rule,
            EventBusName=self.bus_name,
            EventPattern=json.dumps(
                {
                    "source": ["mlops.deployer"],
                    "detail-type": ["Model Version Verified"],
                    "detail": {"next_stage": [self.stage]},
                }
            ),
        )
        self.events.put_targets(Rule=rule, EventBusName=self.bus_name, Targets=[{"Id": "queue", "Arn": queue_arn}])

    def received(self) -> list[dict[str, Any]]:
        """Promotion events delivered to this stage so far (drains the queue)."""
        events = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def config_doc(self, **sections: Any) -> dict[str, Any]:
        world = self.world
        index = CHAIN.index(self.stage)
        previous = CHAIN[index - 1] if index > 0 else ""
        following = CHAIN[index + 1] if index + 1 < len(CHAIN) else ""
        next_slot = world.slots.get(following)
        doc: dict[str, Any] = {
            "schema_version": 1,
            "project": world.name,
            "stage": self.stage,
            "previous_stage": previous,
            "next_stage": following if next_slot else "",
            "requires_approval": self.stage == "prod",
            "registry": {
                "model_package_group": world.group_arn,
                "account_id": TOOLING,
                "region": REGION,
                "role_arn": f"arn:aws:iam::{TOOLING}:role/churn-deployer-{self.stage}",
            },
            "ledger": {"table_name": world.ledger_table},
            "promotion": {"next_stage_event_bus_arn": next_slot.bus_arn if next_slot else ""},
            "target": {"account_id": self.account, "region": REGION, "role_arn": deploy_role(self.stage)},
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
                "destination_s3_uri": f"s3://{world.name}-capture/{self.stage}",
                "kms_key_arn": "",
            },
            "deployment": {
                "strategy": "canary",
                "step": {"type": "CAPACITY_PERCENT", "value": 50},
                "wait_seconds": 20,
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

    def write_config(self, **sections: Any) -> StageConfig:
        path = self.world.config_dir / f"{self.stage}.json"
        path.write_text(json.dumps(self.config_doc(**sections), indent=2))
        return load_stage_config(self.world.config_dir, self.stage)

    def config(self) -> StageConfig:
        return load_stage_config(self.world.config_dir, self.stage)

    def sessions(self, build_id: str = "") -> AccountSessions:
        return AccountSessions(self.stage, base_session(), build_id=build_id or f"churn-{self.stage}:test-build")

    def deployer(self, config: StageConfig | None = None, *, keep: int = 3) -> StageDeployer:
        return StageDeployer(config or self.config(), self.sessions(), keep=keep)

    def run(self, sessions: AccountSessions | None = None, **kwargs: Any) -> StageRun:
        return open_stage_run(self.config(), sessions or self.sessions(), **kwargs)

    def ours(self) -> dict[str, list[str]]:
        """Models, endpoint configs and endpoints of this slot."""
        models = [m["ModelName"] for m in self.sm.list_models()["Models"] if m["ModelName"].startswith(self.endpoint)]
        configs = [
            c["EndpointConfigName"]
            for c in self.sm.list_endpoint_configs(NameContains=self.endpoint)["EndpointConfigs"]
        ]
        endpoints = [e["EndpointName"] for e in self.sm.list_endpoints(NameContains=self.endpoint)["Endpoints"]]
        return {"models": sorted(models), "configs": sorted(configs), "endpoints": sorted(endpoints)}

    def describe(self) -> dict[str, Any]:
        return dict(self.sm.describe_endpoint(EndpointName=self.endpoint))


class World:
    """The registry side plus stage slots; `world.dev` exists from the start, the rest via `add_stage`.

    The attributes and methods of the original single-stage world (endpoint, dev_sm, write_config, ...) refer
    to the dev slot, so the rollout tests read as before.
    """

    def __init__(self, sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path, *, share: bool = True) -> None:
        self.sandbox = sandbox
        self.name = unique("w")
        self.group = f"{self.name}-models"
        self.group_arn = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/{self.group}"
        self.bucket = f"{self.name}-artifacts"
        self.ledger_table = f"{self.name}-ledger"
        self.root = tmp_path
        self.config_dir = tmp_path / "config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(SEED_SMOKE, tmp_path / "tests" / "smoke", dirs_exist_ok=True)
        self.tooling_sm: Any = admin_client(sandbox, "sagemaker")
        self.dynamodb: Any = admin_client(sandbox, "dynamodb")
        self.tooling_sm.create_model_package_group(ModelPackageGroupName=self.group)
        s3: Any = admin_client(sandbox, "s3")
        s3.create_bucket(Bucket=self.bucket)
        s3.put_object(Bucket=self.bucket, Key="model/model.tar.gz", Body=b"model bytes")
        share_bucket_reads(s3, self.bucket, [ACCOUNTS[s] for s in CHAIN])
        self.dynamodb.create_table(
            TableName=self.ledger_table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.slots: dict[str, Slot] = {}
        self.dev = self._slot("dev")
        self.shared = share
        if share:
            self.share_with_stages()

    def _slot(self, stage: str) -> Slot:
        slot = Slot(self, stage)
        self.slots[stage] = slot
        return slot

    def add_stage(self, stage: str) -> Slot:
        """Add the next stage: its slot and bus, the group shared with it, and every config rewritten."""
        slot = self._slot(stage)
        previous = CHAIN[CHAIN.index(stage) - 1]
        slot.listen_for_promotions(previous)
        if self.shared:
            self.share_with_stages()
        for each in self.slots.values():
            each.write_config()
        return slot

    def share_with_stages(self) -> None:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "StagesRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{s.account}:root" for s in self.slots.values()]},
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

    # kept name: older tests call it
    share_with_dev = share_with_stages

    def add_version(
        self,
        *,
        fault: str = "",
        status: str = "Approved",
        key: str = "model/model.tar.gz",
        environment: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        # Fleets provision in 30 simulated seconds (AWS takes minutes), so the suite stays fast; tests that need
        # the default 100 s (or another value) pass SANDBOX_PROVISION_SECONDS in `environment`.
        env = {"SANDBOX_PROVISION_SECONDS": "30"}
        if fault:
            env["SANDBOX_FAULT"] = fault
        env.update(environment or {})
        arn = self.tooling_sm.create_model_package(
            ModelPackageGroupName=self.group,
            ModelPackageDescription="test version",
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{self.bucket}/{key}", "Environment": env}],
                "SupportedContentTypes": ["text/csv", "application/json"],
                "SupportedResponseMIMETypes": ["text/csv", "application/json"],
            },
            ModelApprovalStatus=status,
        )["ModelPackageArn"]
        version = int(self.tooling_sm.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"])
        return version, arn

    def set_status(self, arn: str, status: str) -> None:
        self.tooling_sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)

    def metadata(self, arn: str) -> dict[str, str]:
        described = self.tooling_sm.describe_model_package(ModelPackageName=arn)
        return {
            k: v for k, v in (described.get("CustomerMetadataProperties") or {}).items() if k.startswith("deployer:")
        }

    def ledger(self, build_id: str = "", clock: Callable[[], float] = time.time) -> Ledger:
        """The world's ledger, read and written through its API (admin credentials)."""
        return dynamodb_ledger(self.dynamodb, self.ledger_table, build_id=build_id, clock=clock)

    # -- the dev slot, under the single-stage world's names ----------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self.dev.endpoint

    @property
    def execution_role_arn(self) -> str:
        return self.dev.execution_role_arn

    @property
    def alarms(self) -> list[str]:
        return self.dev.alarms

    @property
    def dev_sm(self) -> Any:
        return self.dev.sm

    @property
    def dev_cw(self) -> Any:
        return self.dev.cw

    @property
    def dev_aas(self) -> Any:
        return self.dev.aas

    def config_doc(self, **sections: Any) -> dict[str, Any]:
        return self.dev.config_doc(**sections)

    def write_config(self, **sections: Any) -> StageConfig:
        return self.dev.write_config(**sections)

    def deployer(self, config: StageConfig | None = None, *, keep: int = 3) -> StageDeployer:
        return self.dev.deployer(config, keep=keep)

    def ours(self) -> dict[str, list[str]]:
        return self.dev.ours()

    def describe(self) -> dict[str, Any]:
        return self.dev.describe()


# -- helpers shared by the suites ----------------------------------------------------------------------------------


def cli(world: World, *args: str) -> int:
    return main(["--config-dir", str(world.config_dir), *args])


def cli_json(world: World, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["--config-dir", str(world.config_dir), "--output", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def history(world: World, stage: str) -> list[dict[str, Any]]:
    """The stage's ledger history, oldest first, as plain dicts (version as a string, empty fields left out)."""
    entries = reversed(world.ledger().history(stage, limit=None))
    return [
        {k: str(v) if k == "version" else v for k, v in dataclasses.asdict(e).items() if v not in ("", None, {})}
        for e in entries
    ]


def marks(world: World, stage: str, kind: str) -> list[int]:
    return sorted(mark.version for mark in world.ledger().marks(stage, kind))


@pytest.fixture
def world(sandbox_env: Sandbox, unique: Callable[[str], str], tmp_path: Path) -> World:
    w = World(sandbox_env, unique, tmp_path)
    w.write_config()
    return w
