"""One stage of the test world in its account: execution role, rollback alarms, promotion inbox, config."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from deployer.config import StageConfig, load_stage_config
from deployer.promotion import StageRun, open_stage_run
from deployer.rollout import StageDeployer
from deployer.sessions import AccountSessions
from sandbox.harness import ACCOUNTS, REGION
from tests.support import promotions
from tests.support.accounts import CHAIN, admin_client, base_session_shared, deploy_role
from tests.support.stage_config import StagePlan, merged
from tests.support.target import ensure_deployer_roles, prepare_target

if TYPE_CHECKING:
    from tests.support.world import World


class Slot:
    """A stage slot of `world`; its config names the world's registry and, when it exists, the next slot."""

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
        services = ("sagemaker", "cloudwatch", "application-autoscaling", "events", "sqs")
        self.sm, self.cw, self.aas, self.events, self.sqs = (admin_client(sandbox, s, stage) for s in services)
        ensure_deployer_roles(sandbox, stage, self.account, f"churn-{stage}-deploy")
        prepare_target(
            sandbox,
            stage,
            execution_role=f"{world.name}-{stage}-exec",
            artifact_bucket=world.bucket,
            capture_bucket=f"{world.name}-capture",
            endpoint=self.endpoint,
            alarms=self.alarms,
        )
        self.queue_url = ""

    def listen_for_promotions(self, previous: str) -> None:
        """The stage's bus, its policy for the previous stage's deploy role, and a rule into an SQS queue."""
        self.queue_url = promotions.open_inbox(
            self.events, self.sqs, stage=self.stage, bus_name=self.bus_name, bus_arn=self.bus_arn, previous=previous
        )

    def received(self) -> list[dict[str, Any]]:
        """Promotion events delivered to this stage so far (drains the queue)."""
        return promotions.drain(self.sqs, self.queue_url)

    def plan(self) -> StagePlan:
        world = self.world
        index = CHAIN.index(self.stage)
        following = CHAIN[index + 1] if index + 1 < len(CHAIN) else ""
        next_slot = world.slots.get(following)
        return StagePlan(
            project=world.name,
            model=world.model,
            stage=self.stage,
            account=self.account,
            group_arn=world.group_arn,
            ledger_table=world.ledger_table,
            endpoint=self.endpoint,
            execution_role_arn=self.execution_role_arn,
            deploy_role_arn=deploy_role(self.stage),
            capture_uri=f"s3://{world.name}-capture/{self.stage}",
            alarms=self.alarms,
            previous_stage=CHAIN[index - 1] if index > 0 else "",
            next_stage=following if next_slot else "",
            next_stage_event_bus_arn=next_slot.bus_arn if next_slot else "",
            requires_approval=self.stage == "prod",
            wait_seconds=20,
        )

    def config_doc(self, **sections: Any) -> dict[str, Any]:
        return merged(self.plan().doc(), **sections)

    def write_config(self, **sections: Any) -> StageConfig:
        path = self.world.config_dir / f"{self.stage}.json"
        path.write_text(json.dumps(self.config_doc(**sections), indent=2))
        return self.config()

    def config(self) -> StageConfig:
        return load_stage_config(self.world.config_dir, self.stage)

    def sessions(self, build_id: str = "") -> AccountSessions:
        return AccountSessions(self.stage, base_session_shared(), build_id=build_id or f"churn-{self.stage}:test-build")

    def deployer(self, config: StageConfig | None = None, *, keep: int = 3) -> StageDeployer:
        return StageDeployer(config or self.config(), self.sessions(), keep=keep)

    def run(self, sessions: AccountSessions | None = None, **kwargs: Any) -> StageRun:
        return open_stage_run(self.config(), sessions or self.sessions(), **kwargs)

    def ours(self) -> dict[str, list[str]]:
        """Models, endpoint configs and endpoints of this slot."""
        models = [m["ModelName"] for m in self.sm.list_models()["Models"] if m["ModelName"].startswith(self.endpoint)]
        listed = self.sm.list_endpoint_configs(NameContains=self.endpoint)["EndpointConfigs"]
        configs = [c["EndpointConfigName"] for c in listed]
        endpoints = [e["EndpointName"] for e in self.sm.list_endpoints(NameContains=self.endpoint)["Endpoints"]]
        return {"models": sorted(models), "configs": sorted(configs), "endpoints": sorted(endpoints)}

    def describe(self) -> dict[str, Any]:
        return dict(self.sm.describe_endpoint(EndpointName=self.endpoint))
