"""The metric gate of a plan: read the candidate's and the live version's registered metrics and judge them
with the stage's `metric_gate` rules (deployer.metric_gate). `plan` shows the decision; `deploy` records it in
the ledger before its `started` entry and stops (exit 4) when it blocks, before any change."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from deployer.errors import MetricGateError
from deployer.ledger import Event, HistoryEntry
from deployer.metric_gate import BLOCK, GateDecision, PackageMetrics, evaluate
from deployer.promotion.context import StageContext
from deployer.registry import REJECTED
from deployer.registry_metrics import read_package_metrics
from deployer.rollout import Action, Plan, StageDeployer

# A rollback goes back to a version this stage ran before; a no-op, resume or wait ships nothing new.
GATED_ACTIONS = (Action.CREATE, Action.UPDATE)


def judge(context: StageContext, deployer: StageDeployer, plan: Plan) -> GateDecision | None:
    """The gate's decision on the plan's candidate; None when there are no rules or nothing new to judge.
    Callers hold the context's guard."""
    settings = context.config.metric_gate
    if not settings.rules or plan.action not in GATED_ACTIONS or plan.candidate_arn == plan.live_package_arn:
        return None  # the same package with another config is not a new model
    registry = deployer.registry()
    r = context.config.registry
    s3 = context.sessions.client("s3", r.role_arn, r.region)
    candidate = read_package_metrics(registry, s3, plan.candidate_arn, plan.candidate_version)
    live: PackageMetrics | None = None
    if plan.action == Action.CREATE or not plan.live_package_arn or plan.live_version is None:
        why = "no live version: thresholds only"
    elif plan.live_approval == REJECTED:
        why = f"live v{plan.live_version} is Rejected: thresholds only"
    else:
        live = read_package_metrics(registry, s3, plan.live_package_arn, plan.live_version)
        why = f"live v{plan.live_version} {plan.live_package_arn}"
    return evaluate(settings, candidate, live, compared_with_live=why)


def record_and_enforce(context: StageContext, plan: Plan, decision: GateDecision) -> None:
    """One ledger entry with the rules, both values and the verdict; then raise when the gate blocks."""
    with context.guard():
        context.ledger().record_metric_gate(
            context.stage,
            plan.candidate_version,
            passed=decision.verdict != BLOCK,
            model_package_arn=plan.candidate_arn,
            endpoint=context.endpoint,
            endpoint_config=plan.config_name,
            reason=decision.summary(),
            details=decision.details(),
        )
    if decision.blocks:
        raise blocking_error(context.stage, decision)


def blocking_error(stage: str, decision: GateDecision) -> MetricGateError:
    """What a blocking gate says (deploy, and plan before an approval): each blocking rule with both values."""
    rules = "; ".join(r.line() for r in decision.results if r.verdict == BLOCK)
    return MetricGateError(f"metric gate blocks v{decision.candidate_version} on {stage}: {rules}")


def latest_gate(history: Iterable[HistoryEntry], version: int | None = None) -> dict[str, Any] | None:
    """The newest metric gate record (of `version`, when given) as status and the promotion event show it:
    the version, the verdict, the mode, when, and every rule with both values. None when there is none."""
    for entry in history:
        if entry.event != Event.METRIC_GATE.value or (version is not None and entry.version != version):
            continue
        details = entry.details
        try:
            rules = json.loads(details.get("rules", "[]"))
        except ValueError:  # written by the deployer as JSON; a hand-edited item shows as no rules
            rules = []
        return {
            "version": entry.version,
            "verdict": details.get("verdict", ""),
            "dry_run": details.get("dry_run") == "true",
            "at": entry.at,
            "live_version": int(details["live_version"]) if details.get("live_version", "").isdigit() else None,
            "compared_with_live": details.get("compared_with_live", ""),
            "rules": rules,
            "summary": entry.reason,
        }
    return None
