"""Drift: the endpoint runs a config other than the one the ledger says is live.

It arises when a change lands that no run recorded as a success: a run that lost its lease after sending
UpdateEndpoint (the change may land under the next holder), or a wait that timed out before SageMaker
finished. `status` shows it; `deploy` converges it (`converge`): the stage's live version is the ledger's, so
the candidate is judged against that, never against a config no run recorded.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from deployer.ledger import HistoryEntry
from deployer.promotion.context import StageContext
from deployer.promotion.history import latest_success
from deployer.rollout import Action, Plan, StageDeployer
from deployer.rollout.decide import Situation, decide

log = logging.getLogger(__name__)

# Actions judged against the live version: with drift, against the ledger's instead of the endpoint's.
JUDGED = frozenset({Action.UPDATE, Action.ROLLBACK, Action.REFUSE})


@dataclass(frozen=True)
class Drift:
    endpoint: str
    endpoint_config: str  # what the endpoint runs
    endpoint_version: int | None
    ledger_config: str  # what the ledger's last successful outcome left live
    ledger_version: int | None
    ledger_package_arn: str
    recorded_at: str

    def describe(self) -> str:
        runs = _named(self.endpoint_config, self.endpoint_version)
        says = _named(self.ledger_config, self.ledger_version)
        return (
            f"{self.endpoint} runs {runs}, but the ledger says {says} is live (recorded at {self.recorded_at}); "
            "no run recorded that change"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "message": self.describe()}


def _named(config: str, version: int | None) -> str:
    return f"{config} (v{version})" if version is not None else config


def find_drift(
    endpoint: str, live_config: str, live_version: int | None, history: Iterable[HistoryEntry]
) -> Drift | None:
    """The drift between what the endpoint runs and the ledger's last success (newest-first `history`); None
    when they agree, or when either says nothing (no endpoint, or no success recorded)."""
    if not live_config:
        return None
    success = latest_success(history)
    if success is None or not success.endpoint_config or success.endpoint_config == live_config:
        return None
    return Drift(
        endpoint=endpoint,
        endpoint_config=live_config,
        endpoint_version=live_version,
        ledger_config=success.endpoint_config,
        ledger_version=success.version,
        ledger_package_arn=success.model_package_arn,
        recorded_at=success.at,
    )


def converge(plan: Plan, drift: Drift | None, ledger_approval: str, *, pinned: bool) -> Plan:
    """The plan with the candidate judged against the ledger's live version: back to it when it is the
    candidate (blue/green, as any update), or on to a newer eligible candidate; never a downgrade below it unless
    the ledger's version was Rejected or pinned. The endpoint's own state (`live_config`, `live_status`) stays
    for the check right before the change."""
    if drift is None or drift.ledger_version is None or plan.action not in JUDGED:
        return plan
    if plan.config_name == drift.ledger_config:
        action, why = Action.UPDATE, f"back to the ledger's live v{drift.ledger_version}"
    else:
        action, why = decide(
            Situation(
                candidate_version=plan.candidate_version,
                config_name=plan.config_name,
                live_status=plan.live_status,
                live_config=drift.ledger_config,
                live_version=drift.ledger_version,
                live_approval=ledger_approval,
                pinned=pinned,
            )
        )
    return dataclasses.replace(
        plan,
        action=action,
        reason=f"{why}; repairs drift: {drift.describe()}",
        live_version=drift.ledger_version,
        live_package_arn=drift.ledger_package_arn,
        live_approval=ledger_approval,
    )


def converged_plan(context: StageContext, deployer: StageDeployer, plan: Plan, *, pinned: bool) -> Plan:
    """`plan`, converged when the endpoint drifted from the ledger (read only for the actions it may change).
    Callers hold the context's guard."""
    if plan.action not in JUDGED:
        return plan
    history = context.ledger().iter_history(context.stage)
    drift = find_drift(context.endpoint, plan.live_config, plan.live_version, history)
    if drift is None:
        return plan
    log.warning("drift: %s", drift.describe())
    approval = deployer.registry().status_of(drift.ledger_package_arn) if drift.ledger_package_arn else ""
    return converge(plan, drift, approval, pinned=pinned)
