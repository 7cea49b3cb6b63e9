"""Tearing a stage down: the endpoint (which bills by the hour until it is deleted) and every config and model the
deployer created for it, with its autoscaling; recorded in the ledger. `terraform destroy` does not do this: the
endpoint is the deployer's, not Terraform's, so a destroy alone would leave it running."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from deployer import endpoint as ep
from deployer.promotion.context import StageContext
from deployer.promotion.lock import LockKeeper
from deployer.rollout.autoscaling import remove_autoscaling
from deployer.strategy import PROVISION_MARGIN_SECONDS

log = logging.getLogger(__name__)


@dataclass
class TeardownResult:
    stage: str
    endpoint: str
    version: int | None
    deleted: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "endpoint": self.endpoint, "version": self.version, "deleted": self.deleted}

    def lines(self) -> list[str]:
        if not self.deleted:
            return [f"{self.stage}: nothing to tear down ({self.endpoint} and the deployer's resources are gone)"]
        was = f" (it served v{self.version})" if self.version is not None else ""
        return [f"{self.stage}: deleted {len(self.deleted)} resource(s){was}:", *(f"  {n}" for n in self.deleted)]


def tear_down(context: StageContext, keeper: LockKeeper, *, reason: str) -> TeardownResult:
    """Delete the endpoint (waiting until it is gone), then the deployer's configs and models for it that no
    endpoint uses; unmark the live version in the registry; record it. Callers hold the guard and the lock."""
    deployer = context.deployer(keeper=keeper)
    target = deployer.target()
    name, variant = context.endpoint, context.config.endpoint.variant_name
    live = ep.live_state(target, name)
    result = TeardownResult(context.stage, name, live.version if live else None)
    if live is not None:
        remove_autoscaling(target, name, variant)
        wait = 2.0 * PROVISION_MARGIN_SECONDS
        ep.delete_endpoint(target, name, wait, deployer.poll_seconds, on_poll=keeper, on_transient=keeper.tolerate)
        result.deleted.append(name)
    result.deleted.extend(ep.remove_all(target, name))
    if live is not None and live.package_arn:
        context.marks().set_live(live.package_arn, context.stage, False)
    if result.deleted:
        context.ledger().record_teardown(
            context.stage, name, version=result.version, reason=reason, deleted=result.deleted
        )
    return result
