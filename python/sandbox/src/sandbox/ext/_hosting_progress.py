"""How far a rollout has got (completion, rollback or failure), and which fleet serves each request."""

from __future__ import annotations

import hashlib
import logging
import math
from fractions import Fraction

from sandbox.ext._hosting_model import (
    FAULT_FAIL_CREATE,
    FAULT_SILENT_ROLLBACK,
    AlarmProbe,
    EndpointState,
    Fleet,
    Rollout,
    Variant,
)

log = logging.getLogger(__name__)


def health_check_reason(fleet: Fleet) -> str:
    variant = fleet.variants[0].name if fleet.variants else "AllTraffic"
    return (
        f"The primary container for production variant {variant} did not pass the ping health check. "
        "Please check CloudWatch logs for this endpoint."
    )


def alarm_reason(names: list[str]) -> str:
    return (
        f"Endpoint update was rolled back: CloudWatch alarm(s) [{', '.join(names)}] in ALARM state "
        "during the deployment."
    )


def timeout_reason(timeout: float) -> str:
    return (
        "Endpoint update was rolled back: the deployment did not finish within "
        f"MaximumExecutionTimeoutInSeconds ({int(timeout)} seconds)."
    )


def _finish_create(state: EndpointState, rollout: Rollout) -> None:
    state.rollout = None
    state.last_modified = rollout.at(rollout.total)
    if rollout.access_failure:
        state.status = "Failed"
        state.failure_reason = rollout.access_failure
    elif rollout.fault == FAULT_FAIL_CREATE:
        state.status = "Failed"
        state.failure_reason = health_check_reason(rollout.target)
    else:
        state.status = "InService"
    log.info("endpoint %s: %s", state.name, state.status)


def _update_ending(rollout: Rollout, now: float, probe: AlarmProbe) -> tuple[float, str, str | None]:
    """(simulated time, outcome, reason) of the earliest way the update ends; it may lie after `now`."""
    events: list[tuple[float, int, str, str | None]] = []
    if rollout.access_failure:
        events.append((rollout.provisioned_at, 0, "rollback", rollout.access_failure))
    elif rollout.fault == FAULT_FAIL_CREATE:
        events.append((rollout.provisioned_at, 0, "rollback", health_check_reason(rollout.target)))
    elif rollout.fault == FAULT_SILENT_ROLLBACK:
        events.append((rollout.provisioned_at, 0, "rollback", None))
    if rollout.timeout is not None and rollout.total > rollout.timeout:
        events.append((rollout.timeout, 0, "rollback", timeout_reason(rollout.timeout)))
    if rollout.alarms:
        for phase in rollout.phases:
            if not phase.monitored or phase.start > now:
                continue
            trip = probe(rollout.alarms, rollout.at(phase.start), rollout.at(min(phase.end, now)))
            if trip is not None:
                at = max(phase.start, rollout.sim_of(trip.when))
                events.append((at, 0, "rollback", alarm_reason(trip.names)))
                break
    # A rollback at the very moment the update would finish wins over the success.
    events.append((rollout.total, 1, "success", None))
    when, _, outcome, reason = min(events, key=lambda e: (e[0], e[1]))
    return when, outcome, reason


def advance(state: EndpointState, probe: AlarmProbe) -> None:
    """Apply whatever the rollout reached by now: completion, rollback or failure."""
    rollout = state.rollout
    if rollout is None:
        return
    now = rollout.sim_now()
    if rollout.kind == "create":
        if now >= rollout.total:
            _finish_create(state, rollout)
        return
    when, outcome, reason = _update_ending(rollout, now, probe)
    if when > now:
        return
    state.rollout = None
    state.status = "InService"
    state.last_modified = rollout.at(when)
    if outcome == "success":
        state.current = rollout.target
        state.failure_reason = None
        log.info("endpoint %s: update to %s done", state.name, rollout.target.config_name)
    else:
        state.failure_reason = reason
        log.info("endpoint %s: update to %s rolled back: %s", state.name, rollout.target.config_name, reason)


def green_share(state: EndpointState) -> Fraction:
    rollout = state.rollout
    if rollout is None or rollout.kind != "update":
        return Fraction(0)
    return rollout.phase_at(rollout.sim_now()).green_traffic


def route(state: EndpointState) -> tuple[Fleet, Variant, str]:
    """The fleet, variant and fleet colour that serve the next request (call after `advance`)."""
    share = green_share(state)
    n = state.invocations
    state.invocations += 1
    # Exactly `share` of any run of 1/share consecutive requests goes to green.
    if state.rollout is not None and math.floor((n + 1) * share) > math.floor(n * share):
        fleet, colour = state.rollout.target, "green"
    else:
        fleet, colour = state.current, "blue"
    return fleet, fleet.pick_variant(), colour


# The sample churn model: a logistic score over (age, tenure in months, monthly charges, on contract, support
# calls); the seed's smoke cases hold its answers. Each version (a retrain) moves a score by at most
# VERSION_DRIFT, so one version's answers stay within a small tolerance of another's, yet differ.
SAMPLE_WEIGHTS = (-0.02, -0.03, 0.02, -2.0, 1.0)
VERSION_DRIFT = 0.01
TOP_SCORE = 0.999999


def sample_features(row: str) -> list[float] | None:
    """The numbers of a CSV row (`34,12,79.5,1,0`) or JSON row (`[34,12,79.5,1,0]`), or None if it is not one."""
    cells = row.strip().removeprefix("[").removesuffix("]").split(",")
    try:
        return [float(cell) for cell in cells]
    except ValueError:
        return None


def sample_score(features: list[float]) -> float:
    """The sample model's score before any version's drift."""
    z = sum(weight * x for weight, x in zip(SAMPLE_WEIGHTS, features, strict=False))
    return 1.0 / (1.0 + math.exp(-max(min(z, 700.0), -700.0)))


def predict(row: str, model_version: str) -> float:
    """A stable score in [0, 1) for one input row under one model version: the sample model's score plus the
    version's drift for numeric rows, a hash of (version, row) for anything else."""
    digest = hashlib.sha256(f"{model_version}\x00{row}".encode()).digest()
    jitter = int.from_bytes(digest[:8], "big") / 2**64
    features = sample_features(row)
    if features is None:
        return round(jitter, 6)
    drifted = sample_score(features) + (2 * jitter - 1) * VERSION_DRIFT
    return round(min(max(drifted, 0.0), TOP_SCORE), 6)
