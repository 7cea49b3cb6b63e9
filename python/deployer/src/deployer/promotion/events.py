"""The "Model Version Verified" event that starts the next stage, put on that stage's EventBridge bus."""

from __future__ import annotations

import json
import logging
from typing import Any

from deployer.aws_errors import ACCESS_DENIED_CODES
from deployer.errors import AccessDeniedError, DeployerError, aws_call
from deployer.promotion.context import StageContext
from deployer.promotion.gate import latest_gate
from deployer.promotion.serving import ServingProof
from deployer.sessions import role_label

log = logging.getLogger(__name__)

EVENT_SOURCE = "mlops.deployer"
EVENT_DETAIL_TYPE = "Model Version Verified"


class EventPublisher:
    """Puts the event with the target credentials: the CodeBuild role that the next stage's bus policy names
    (modules/stage: PreviousStagePutEvents, PromoteToNextStage)."""

    def __init__(self, context: StageContext) -> None:
        self.context = context

    def detail(self, serving: ServingProof, verified_at: str) -> dict[str, Any]:
        config = self.context.config
        return {
            "model": config.model,
            "project": config.project,
            "stage": config.stage,
            "next_stage": config.next_stage,
            "model_version": serving.version,
            "model_package_arn": serving.model_package_arn,
            "model_package_group": config.registry.group_arn,
            "endpoint": config.endpoint.name,
            "endpoint_config": serving.config,
            "verified_at": verified_at,
            "build_id": self.context.ledger().build_id,
            "metric_gate": self._gate(serving.version),
        }

    def _gate(self, version: int) -> dict[str, Any] | None:
        """The stage's metric gate record of this version (verdict, rules, both values); None without rules."""
        if not self.context.config.metric_gate.rules:
            return None
        entries = self.context.ledger().version_history(version, limit=None)  # the version's partition: short
        return latest_gate(e for e in entries if e.stage == self.context.stage)

    def put(self, serving: ServingProof, verified_at: str, bus: str) -> str:
        """The event's id; raises when EventBridge did not accept it."""
        t = self.context.config.target
        region = bus.split(":")[3] or t.region
        events = self.context.sessions.client("events", t.role_arn, region)
        detail = self.detail(serving, verified_at)
        action = f"events:PutEvents on {bus}"
        with aws_call(action, t.account_id, role_label(t.role_arn)):
            answer = events.put_events(
                Entries=[
                    {
                        "Source": EVENT_SOURCE,
                        "DetailType": EVENT_DETAIL_TYPE,
                        "Detail": json.dumps(detail, sort_keys=True),
                        "EventBusName": bus,
                        "Resources": [serving.model_package_arn],
                    }
                ]
            )
        entry = (answer.get("Entries") or [{}])[0]
        if answer.get("FailedEntryCount") or not entry.get("EventId"):
            code, message = entry.get("ErrorCode", "unknown"), entry.get("ErrorMessage", "no EventId returned")
            if str(code) in ACCESS_DENIED_CODES:
                raise AccessDeniedError(t.account_id, role_label(t.role_arn), action, f"{code}: {message}")
            raise DeployerError(f"{action}: the event was not accepted: {code}: {message}")
        log.info("put %s event %s on %s", EVENT_DETAIL_TYPE, entry["EventId"], bus)
        return str(entry["EventId"])
