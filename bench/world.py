"""A one-stage world for the benchmarks, built from the test world's parts (`tests.support`), set up the way
Terraform would leave it.

Tooling: model package group (readable by the stage account), artifact bucket, ledger table. Stage account:
SageMaker execution role and the two guardrail alarms. The stage config points at all of them and assumes a
registry role in tooling and a deploy role (churn-deploy) in the stage account.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path
from typing import Any

from deployer.config import StageConfig, load_stage_config
from sandbox.harness import ACCOUNTS, Sandbox
from tests.support.registry import MODEL_KEY, Registry, register_version
from tests.support.stage_config import StagePlan, merged
from tests.support.target import ensure_deployer_roles, prepare_target
from tests.support.world import SEED_SMOKE

DEPLOY_ROLE = "churn-deploy"
_COUNTER = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 10000}-{next(_COUNTER)}"


def deploy_role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{DEPLOY_ROLE}"


class World(Registry):
    """Registry, ledger, execution role and alarms for one endpoint of one stage."""

    def __init__(self, sandbox: Sandbox, config_dir: Path, *, stage: str = "dev", prefix: str = "b") -> None:
        self.sandbox = sandbox
        self.stage = stage
        self.account = ACCOUNTS[stage]
        super().__init__(sandbox.client, unique(prefix), [self.account])
        self.share_with([self.account])
        self.endpoint = f"{self.name}-{stage}"
        self.execution_role_arn = f"arn:aws:iam::{self.account}:role/{self.name}-exec"
        self.alarms = [f"{self.name}-5xx", f"{self.name}-latency"]
        self.config_dir = config_dir
        self.config_dir.mkdir(parents=True, exist_ok=True)
        # The stage repository holds the seed's smoke cases: a deploy checks them before it switches anything.
        shutil.copytree(SEED_SMOKE, config_dir.parent / "tests" / "smoke", dirs_exist_ok=True)
        ensure_deployer_roles(sandbox, stage, self.account, DEPLOY_ROLE)
        prepare_target(
            sandbox,
            self.account,
            execution_role=f"{self.name}-exec",
            artifact_bucket=self.bucket,
            capture_bucket=f"{self.name}-capture",
            endpoint=self.endpoint,
            alarms=self.alarms,
        )

    def add_version(self) -> tuple[int, str]:
        """Register a new Approved version (default provisioning time); return (version, package ARN)."""
        url = f"s3://{self.bucket}/{MODEL_KEY}"
        return register_version(self.tooling_sm, self.group, url, description="bench version")

    def plan(self) -> StagePlan:
        return StagePlan(
            project="churn",
            stage=self.stage,
            account=self.account,
            group_arn=self.group_arn,
            ledger_table=self.ledger_table,
            endpoint=self.endpoint,
            execution_role_arn=self.execution_role_arn,
            deploy_role_arn=deploy_role_arn(self.account),
            capture_uri=f"s3://{self.name}-capture/capture",
            alarms=self.alarms,
        )

    def config_doc(self, deployment: dict[str, Any] | None = None) -> dict[str, Any]:
        """The stage config; `deployment` overrides keys of its deployment section (None removes a key)."""
        return merged(self.plan().doc(), deployment=deployment or {})

    def write_config(self, deployment: dict[str, Any] | None = None) -> StageConfig:
        path = self.config_dir / f"{self.stage}.json"
        path.write_text(json.dumps(self.config_doc(deployment), indent=2))
        return load_stage_config(self.config_dir, self.stage)
