"""A stage config document as Terraform's modules/stage renders it, for worlds built in the sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.harness import REGION, TOOLING


@dataclass(frozen=True)
class StagePlan:
    """What a stage config names: the registry and ledger in tooling, the endpoint in the stage account."""

    project: str
    stage: str
    account: str
    group_arn: str
    ledger_table: str
    endpoint: str
    execution_role_arn: str
    deploy_role_arn: str
    capture_uri: str
    alarms: list[str] = field(default_factory=list)
    previous_stage: str = ""
    next_stage: str = ""
    next_stage_event_bus_arn: str = ""
    requires_approval: bool = False
    wait_seconds: int = 60
    model: str = ""  # the platform's model this stage deploys; empty: the project (as Terraform writes it)
    platform: str = "mlops"

    def deployment(self) -> dict[str, Any]:
        return {
            "strategy": "canary",
            "step": {"type": "CAPACITY_PERCENT", "value": 50},
            "wait_seconds": self.wait_seconds,
            "termination_wait_seconds": 0,
            "max_execution_timeout_seconds": 1800,
            "rollback_alarms": list(self.alarms),
        }

    def doc(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "platform": self.platform,
            "model": self.model or self.project,
            "project": self.project,
            "stage": self.stage,
            "previous_stage": self.previous_stage,
            "next_stage": self.next_stage,
            "requires_approval": self.requires_approval,
            "registry": {
                "model_package_group": self.group_arn,
                "account_id": TOOLING,
                "region": REGION,
                "role_arn": registry_role(self.stage),
            },
            "ledger": {"table_name": self.ledger_table},
            "promotion": {"next_stage_event_bus_arn": self.next_stage_event_bus_arn},
            "target": {"account_id": self.account, "region": REGION, "role_arn": self.deploy_role_arn},
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
                "destination_s3_uri": self.capture_uri,
                "kms_key_arn": "",
            },
            "deployment": self.deployment(),
            "autoscaling": {
                "enabled": True,
                "min_capacity": 2,
                "max_capacity": 4,
                "target_invocations_per_instance": 100,
            },
            "smoke_tests": {"dir": "tests/smoke"},
            "tags": {"team": "ml-platform"},
        }


def registry_role(stage: str) -> str:
    """The role a stage's deployer assumes in tooling to read the registry and write the ledger."""
    return f"arn:aws:iam::{TOOLING}:role/churn-deployer-{stage}"


def merged(doc: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """`doc` with each named section's keys overridden (a non-dict section is replaced); a None value drops a key."""
    out = dict(doc)
    for key, value in sections.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = {k: v for k, v in {**out[key], **value}.items() if v is not None}
        else:
            out[key] = value
    return out
