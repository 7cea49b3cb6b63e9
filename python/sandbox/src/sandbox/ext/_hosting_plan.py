"""Rollout plans: the phases of an endpoint create or update on the simulated timeline."""

from __future__ import annotations

import logging
import math
from datetime import datetime
from fractions import Fraction
from typing import Any

from sandbox import clock
from sandbox.ext._hosting_model import DEFAULT_PROVISION_SECONDS, Fleet, Phase, Rollout, Variant, share

log = logging.getLogger(__name__)


def alarm_names(config: dict[str, Any] | None) -> list[str]:
    alarms = ((config or {}).get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    return [str(a["AlarmName"]) for a in alarms if a.get("AlarmName")]


def whole_share(size: dict[str, Any], variant: Variant) -> Fraction:
    """The traffic share of a canary or linear step: AWS activates whole instances, so a CAPACITY_PERCENT size is
    rounded down to whole instances, at least one (50% of 3 instances is 1, 50% of 1 is the whole fleet)."""
    if size["Type"] != "CAPACITY_PERCENT" or variant.serverless is not None:
        return share(size, variant)
    count = variant.capacity
    instances = max(1, count * int(size["Value"]) // 100)
    return Fraction(min(instances, count), count)


def _steps(routing: dict[str, Any], target: Fleet) -> list[Fraction]:
    """Green traffic share after each shift of a blue/green rollout."""
    kind = routing["Type"]
    if kind == "ALL_AT_ONCE":
        return [Fraction(1)]
    variant = target.variants[0]
    if kind == "CANARY":
        return [min(Fraction(1), whole_share(routing["CanarySize"], variant)), Fraction(1)]
    step = whole_share(routing["LinearStepSize"], variant)
    count = math.ceil(1 / step)
    return [min(Fraction(1), step * (i + 1)) for i in range(count)]


def plan_create(provision: float) -> list[Phase]:
    zero = Fraction(0)
    return [Phase("provision", 0.0, provision, zero, zero, zero, False, "Creating")]


def _timeout(policy: dict[str, Any]) -> float | None:
    timeout = policy.get("MaximumExecutionTimeoutInSeconds")
    return float(timeout) if timeout is not None else None


def _plan_rolling(rolling: dict[str, Any], target: Fleet, provision: float) -> list[Phase]:
    """Batch by batch: provision green capacity, then bake with that share of traffic and blue scaled down."""
    one = Fraction(1)
    wait = float(rolling["WaitIntervalInSeconds"])
    batch = share(rolling["MaximumBatchSize"], target.variants[0])
    phases: list[Phase] = []
    t = 0.0
    for i in range(math.ceil(1 / batch)):
        before, after = min(one, batch * i), min(one, batch * (i + 1))
        phases.append(Phase("provision", t, t + provision, before, before, one - before, False, "Creating"))
        t += provision
        phases.append(Phase("bake", t, t + wait, after, after, one - after, True, "Baking"))
        t += wait
    return phases


def _plan_blue_green(blue_green: dict[str, Any], target: Fleet, provision: float) -> list[Phase]:
    """Provision the whole green fleet, shift traffic step by step (baking after each), then terminate blue."""
    zero, one = Fraction(0), Fraction(1)
    routing = blue_green["TrafficRoutingConfiguration"]
    wait = float(routing.get("WaitIntervalInSeconds") or 0)
    termination = float(blue_green.get("TerminationWaitInSeconds") or 0)
    phases = [Phase("provision", 0.0, provision, zero, zero, one, False, "Creating")]
    t = provision
    for green in _steps(routing, target):
        phases.append(Phase("bake", t, t + wait, green, one, one, True, "Baking"))
        t += wait
    phases.append(Phase("termination", t, t + termination, one, one, one, True, None))
    return phases


def plan_update(config: dict[str, Any] | None, target: Fleet, provision: float) -> tuple[list[Phase], float | None]:
    """Phases of an update and its MaximumExecutionTimeoutInSeconds (None when not set)."""
    config = config or {}
    rolling = config.get("RollingUpdatePolicy")
    if rolling is not None:
        return _plan_rolling(rolling, target, provision), _timeout(rolling)
    blue_green = config.get("BlueGreenUpdatePolicy") or {
        # No policy: AWS deploys blue/green, all at once, with no baking.
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    }
    return _plan_blue_green(blue_green, target, provision), _timeout(blue_green)


def start_rollout(
    kind: str,
    target: Fleet,
    config: dict[str, Any] | None,
    started_at: datetime,
) -> Rollout:
    markers = target.markers()
    provision = markers.provision_seconds if markers.provision_seconds is not None else DEFAULT_PROVISION_SECONDS
    if kind == "create":
        phases, timeout = plan_create(provision), None
    else:
        phases, timeout = plan_update(config, target, provision)
    return Rollout(
        kind=kind,
        target=target,
        phases=phases,
        started_wall=clock.wall_now(),
        started_at=started_at,
        scale=clock.time_scale(),
        alarms=alarm_names(config) if kind == "update" else [],
        timeout=timeout,
        fault=markers.fault,
    )
