"""Endpoint rollouts on simulated time: fleets, the phase plan of a rollout, and how far it has got.

Nothing here runs in the background. A rollout stores its plan (phases on a simulated-seconds
timeline that starts at the request) and `advance` works out, whenever the endpoint is looked at,
what has happened by now: success, a rollback (alarm, unhealthy fleet, timeout) or still going.
This module knows nothing of moto; `_hosting_backend` connects it to moto's backends.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sandbox import clock

log = logging.getLogger(__name__)

# One lock for every endpoint state change: moto's server is threaded, and describe/invoke mutate state.
LOCK = threading.RLock()

DEFAULT_PROVISION_SECONDS = 100.0
FAULT_FAIL_CREATE = "fail-create"
FAULT_SILENT_ROLLBACK = "silent-rollback"
FAULT_MODEL_ERROR = "model-error"
FAULTS = (FAULT_FAIL_CREATE, FAULT_SILENT_ROLLBACK, FAULT_MODEL_ERROR)


@dataclass
class Container:
    image: str
    environment: dict[str, str]
    model_package_arn: str
    model_data_url: str = ""


@dataclass
class Variant:
    """One production variant of an endpoint config, frozen when a fleet is provisioned."""

    name: str
    model_name: str
    instance_type: str | None
    instance_count: int
    weight: float
    serverless: dict[str, Any] | None
    containers: list[Container]
    model_package_arn: str
    model_version: str

    @property
    def capacity(self) -> int:
        # Serverless variants have no instance count; count them as one unit of capacity.
        return self.instance_count if self.serverless is None else 1


@dataclass
class Markers:
    fault: str | None = None
    latency_ms: int = 0
    provision_seconds: float | None = None
    constant_prediction: float | None = None  # a model that ignores its input


@dataclass
class Fleet:
    """The instances serving one endpoint config."""

    config_name: str
    variants: list[Variant]
    data_capture: dict[str, Any]
    created_at: datetime
    # Smooth weighted round-robin state: picks variants in proportion to their weights, deterministically.
    rr_current: list[float] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(v.capacity for v in self.variants)

    def markers(self) -> Markers:
        found = Markers()
        for variant in self.variants:
            for container in variant.containers:
                env = container.environment
                fault = env.get("SANDBOX_FAULT", "").strip()
                if fault and found.fault is None:
                    found.fault = fault
                found.latency_ms = max(found.latency_ms, _int(env.get("SANDBOX_LATENCY_MS")))
                seconds = _float(env.get("SANDBOX_PROVISION_SECONDS"))
                if seconds is not None:
                    found.provision_seconds = max(found.provision_seconds or 0.0, seconds)
                if found.constant_prediction is None:
                    found.constant_prediction = _finite(env.get("SANDBOX_CONSTANT_PREDICTION"))
        return found

    def pick_variant(self) -> Variant:
        if len(self.variants) == 1:
            return self.variants[0]
        if len(self.rr_current) != len(self.variants):
            self.rr_current = [0.0] * len(self.variants)
        total = sum(v.weight for v in self.variants) or float(len(self.variants))
        for i, v in enumerate(self.variants):
            self.rr_current[i] += v.weight or 1.0
        best = max(range(len(self.variants)), key=lambda i: self.rr_current[i])
        self.rr_current[best] -= total
        return self.variants[best]


def _int(raw: str | None) -> int:
    try:
        return max(0, int(str(raw))) if raw not in (None, "") else 0
    except ValueError:
        return 0


def _float(raw: str | None) -> float | None:
    try:
        return max(0.0, float(str(raw))) if raw not in (None, "") else None
    except ValueError:
        return None


def _finite(raw: str | None) -> float | None:
    try:
        value = float(str(raw)) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class Phase:
    """A stretch of a rollout. Capacities are fractions of each fleet's full size."""

    kind: str  # provision | bake | termination
    start: float
    end: float
    green_traffic: Fraction
    green_capacity: Fraction
    blue_capacity: Fraction
    monitored: bool
    variant_status: str | None  # what PendingProductionVariantSummary.VariantStatus shows


@dataclass
class Rollout:
    kind: str  # create | update
    target: Fleet
    phases: list[Phase]
    started_wall: float
    started_at: datetime
    scale: float
    alarms: list[str]
    timeout: float | None
    fault: str | None
    # Set when SageMaker, acting as the execution role, may not read what the fleet needs.
    access_failure: str | None = None

    @property
    def total(self) -> float:
        return self.phases[-1].end if self.phases else 0.0

    @property
    def provisioned_at(self) -> float:
        return self.phases[0].end if self.phases else 0.0

    def sim_now(self) -> float:
        return (clock.wall_now() - self.started_wall) / self.scale

    def at(self, sim_seconds: float) -> datetime:
        return self.started_at + timedelta(seconds=sim_seconds * self.scale)

    def sim_of(self, when: datetime) -> float:
        return (when - self.started_at).total_seconds() / self.scale

    def phase_at(self, sim_seconds: float) -> Phase:
        for phase in self.phases:
            if sim_seconds < phase.end:
                return phase
        return self.phases[-1]


@dataclass
class EndpointState:
    """What moto's FakeEndpoint lacks; stored on it, so moto's reset wipes it with the endpoint."""

    account_id: str
    region: str
    name: str
    arn: str
    current: Fleet
    status: str
    created_at: datetime
    last_modified: datetime
    rollout: Rollout | None = None
    failure_reason: str | None = None
    last_deployment_config: dict[str, Any] | None = None
    retained_deployment_config: dict[str, Any] | None = None
    invocations: int = 0


@dataclass(frozen=True)
class AlarmTrip:
    when: datetime
    names: list[str]


# (alarm names, window start, window end) -> the first moment in the window when one was in ALARM
AlarmProbe = Callable[[list[str], datetime, datetime], AlarmTrip | None]


class DeploymentConfigError(ValueError):
    """A DeploymentConfig that AWS would refuse; the message is AWS's ValidationException text."""


# ---------------------------------------------------------------- validation

_CAPACITY_TYPES = ("INSTANCE_COUNT", "CAPACITY_PERCENT")
_ROUTING_TYPES = ("ALL_AT_ONCE", "CANARY", "LINEAR")


def _enum_error(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    return (
        f"Value '{value}' at '{path}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _range_errors(value: Any, path: str, low: int, high: int | None) -> list[str]:
    if value is None:
        return [f"Value null at '{path}' failed to satisfy constraint: Member must not be null"]
    if not isinstance(value, int) or isinstance(value, bool):
        return [f"Value '{value}' at '{path}' failed to satisfy constraint: Member must be an integer"]
    if value < low:
        return [
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {low}"
        ]
    if high is not None and value > high:
        return [
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {high}"
        ]
    return []


def _capacity_errors(size: Any, path: str) -> list[str]:
    if not isinstance(size, dict):
        return [f"Value null at '{path}' failed to satisfy constraint: Member must not be null"]
    errors: list[str] = []
    if size.get("Type") not in _CAPACITY_TYPES:
        errors.append(_enum_error(size.get("Type"), f"{path}.type", _CAPACITY_TYPES))
    errors += _range_errors(size.get("Value"), f"{path}.value", 1, None)
    return errors


def _shape_errors(config: dict[str, Any]) -> list[str]:
    """Checks AWS makes on the request shape before it looks at the endpoint (Coral-style messages)."""
    errors: list[str] = []
    base = "deploymentConfig"
    blue_green = config.get("BlueGreenUpdatePolicy")
    rolling = config.get("RollingUpdatePolicy")
    if blue_green is not None:
        path = f"{base}.blueGreenUpdatePolicy"
        routing = blue_green.get("TrafficRoutingConfiguration")
        rpath = f"{path}.trafficRoutingConfiguration"
        if not isinstance(routing, dict):
            errors.append(f"Value null at '{rpath}' failed to satisfy constraint: Member must not be null")
        else:
            if routing.get("Type") not in _ROUTING_TYPES:
                errors.append(_enum_error(routing.get("Type"), f"{rpath}.type", _ROUTING_TYPES))
            errors += _range_errors(routing.get("WaitIntervalInSeconds"), f"{rpath}.waitIntervalInSeconds", 0, 3600)
            for key, name in (("CanarySize", "canarySize"), ("LinearStepSize", "linearStepSize")):
                if routing.get(key) is not None:
                    errors += _capacity_errors(routing[key], f"{rpath}.{name}")
        if blue_green.get("TerminationWaitInSeconds") is not None:
            errors += _range_errors(blue_green["TerminationWaitInSeconds"], f"{path}.terminationWaitInSeconds", 0, 3600)
        if blue_green.get("MaximumExecutionTimeoutInSeconds") is not None:
            errors += _range_errors(
                blue_green["MaximumExecutionTimeoutInSeconds"], f"{path}.maximumExecutionTimeoutInSeconds", 600, 28800
            )
    if rolling is not None:
        path = f"{base}.rollingUpdatePolicy"
        errors += _capacity_errors(rolling.get("MaximumBatchSize"), f"{path}.maximumBatchSize")
        errors += _range_errors(rolling.get("WaitIntervalInSeconds"), f"{path}.waitIntervalInSeconds", 0, 3600)
        if rolling.get("MaximumExecutionTimeoutInSeconds") is not None:
            errors += _range_errors(
                rolling["MaximumExecutionTimeoutInSeconds"], f"{path}.maximumExecutionTimeoutInSeconds", 600, 28800
            )
        if rolling.get("RollbackMaximumBatchSize") is not None:
            errors += _capacity_errors(rolling["RollbackMaximumBatchSize"], f"{path}.rollbackMaximumBatchSize")
    alarms = (config.get("AutoRollbackConfiguration") or {}).get("Alarms")
    if alarms is not None:
        apath = f"{base}.autoRollbackConfiguration.alarms"
        if not 1 <= len(alarms) <= 10:
            errors.append(
                f"Value '{alarms}' at '{apath}' failed to satisfy constraint: "
                "Member must have length less than or equal to 10 and greater than or equal to 1"
            )
    return errors


def _share(size: dict[str, Any], variant: Variant) -> Fraction:
    """A CapacitySize as a fraction of the variant's instance count."""
    if size["Type"] == "CAPACITY_PERCENT":
        return Fraction(int(size["Value"]), 100)
    return Fraction(int(size["Value"]), max(1, variant.capacity))


def _describe_size(size: dict[str, Any]) -> str:
    unit = "%" if size["Type"] == "CAPACITY_PERCENT" else " instance(s)"
    return f"{size['Value']}{unit}"


def validate_deployment_config(config: dict[str, Any], target: Fleet) -> None:
    """Raise DeploymentConfigError with AWS's wording when `config` is not acceptable for `target`."""
    errors = _shape_errors(config)
    if errors:
        count = len(errors)
        raise DeploymentConfigError(f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(errors)}")
    blue_green = config.get("BlueGreenUpdatePolicy")
    rolling = config.get("RollingUpdatePolicy")
    if blue_green is not None and rolling is not None:
        raise DeploymentConfigError(
            "Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy can be set in DeploymentConfig."
        )
    sized = [v for v in target.variants if v.serverless is None]
    if blue_green is not None:
        routing = blue_green["TrafficRoutingConfiguration"]
        kind = routing["Type"]
        if kind == "CANARY":
            size = routing.get("CanarySize")
            if size is None:
                raise DeploymentConfigError(
                    "CanarySize must be specified when TrafficRoutingConfiguration Type is CANARY."
                )
            for variant in sized:
                if _share(size, variant) > Fraction(1, 2):
                    raise DeploymentConfigError(
                        f"CanarySize {_describe_size(size)} is invalid for production variant '{variant.name}' "
                        f"with {variant.instance_count} instance(s): the canary must be at most 50% of the variant's "
                        "total instance count."
                    )
        elif kind == "LINEAR":
            size = routing.get("LinearStepSize")
            if size is None:
                raise DeploymentConfigError(
                    "LinearStepSize must be specified when TrafficRoutingConfiguration Type is LINEAR."
                )
            for variant in sized:
                if not Fraction(1, 10) <= _share(size, variant) <= Fraction(1, 2):
                    raise DeploymentConfigError(
                        f"LinearStepSize {_describe_size(size)} is invalid for production variant '{variant.name}' "
                        f"with {variant.instance_count} instance(s): each step must be between 10% and 50% of the "
                        "variant's total instance count."
                    )
    if rolling is not None:
        if len(sized) != len(target.variants):
            raise DeploymentConfigError("RollingUpdatePolicy is not supported for serverless production variants.")
        for variant in sized:
            share = _share(rolling["MaximumBatchSize"], variant)
            if not Fraction(5, 100) <= share <= Fraction(1, 2):
                raise DeploymentConfigError(
                    f"MaximumBatchSize {_describe_size(rolling['MaximumBatchSize'])} is invalid for production "
                    f"variant '{variant.name}' with {variant.instance_count} instance(s): the batch must be between "
                    "5% and 50% of the variant's total instance count."
                )
            rollback = rolling.get("RollbackMaximumBatchSize")
            if rollback is not None and not Fraction(5, 100) <= _share(rollback, variant) <= 1:
                raise DeploymentConfigError(
                    f"RollbackMaximumBatchSize {_describe_size(rollback)} is invalid for production variant "
                    f"'{variant.name}' with {variant.instance_count} instance(s): the batch must be between 5% "
                    "and 100% of the variant's total instance count."
                )


# ---------------------------------------------------------------- plans


def alarm_names(config: dict[str, Any] | None) -> list[str]:
    alarms = ((config or {}).get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    return [str(a["AlarmName"]) for a in alarms if a.get("AlarmName")]


def _steps(routing: dict[str, Any], target: Fleet) -> list[Fraction]:
    """Green traffic share after each shift of a blue/green rollout."""
    kind = routing["Type"]
    if kind == "ALL_AT_ONCE":
        return [Fraction(1)]
    variant = target.variants[0]
    if kind == "CANARY":
        return [min(Fraction(1), _share(routing["CanarySize"], variant)), Fraction(1)]
    step = _share(routing["LinearStepSize"], variant)
    count = math.ceil(1 / step)
    return [min(Fraction(1), step * (i + 1)) for i in range(count)]


def plan_create(provision: float) -> list[Phase]:
    zero = Fraction(0)
    return [Phase("provision", 0.0, provision, zero, zero, zero, False, "Creating")]


def plan_update(config: dict[str, Any] | None, target: Fleet, provision: float) -> tuple[list[Phase], float | None]:
    """Phases of an update and its MaximumExecutionTimeoutInSeconds (None when not set)."""
    zero, one = Fraction(0), Fraction(1)
    config = config or {}
    rolling = config.get("RollingUpdatePolicy")
    phases: list[Phase] = []
    if rolling is not None:
        wait = float(rolling["WaitIntervalInSeconds"])
        variant = target.variants[0]
        batch = _share(rolling["MaximumBatchSize"], variant)
        batches = math.ceil(1 / batch)
        t = 0.0
        for i in range(batches):
            before, after = min(one, batch * i), min(one, batch * (i + 1))
            phases.append(Phase("provision", t, t + provision, before, before, one - before, False, "Creating"))
            t += provision
            phases.append(Phase("bake", t, t + wait, after, after, one - after, True, "Baking"))
            t += wait
        timeout = rolling.get("MaximumExecutionTimeoutInSeconds")
        return phases, float(timeout) if timeout is not None else None

    blue_green = config.get("BlueGreenUpdatePolicy") or {
        # No policy: AWS deploys blue/green, all at once, with no baking.
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    }
    routing = blue_green["TrafficRoutingConfiguration"]
    wait = float(routing.get("WaitIntervalInSeconds") or 0)
    termination = float(blue_green.get("TerminationWaitInSeconds") or 0)
    phases.append(Phase("provision", 0.0, provision, zero, zero, one, False, "Creating"))
    t = provision
    for share in _steps(routing, target):
        phases.append(Phase("bake", t, t + wait, share, one, one, True, "Baking"))
        t += wait
    phases.append(Phase("termination", t, t + termination, one, one, one, True, None))
    timeout = blue_green.get("MaximumExecutionTimeoutInSeconds")
    return phases, float(timeout) if timeout is not None else None


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


# ---------------------------------------------------------------- progress


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


def advance(state: EndpointState, probe: AlarmProbe) -> None:
    """Apply whatever the rollout reached by now: completion, rollback or failure."""
    rollout = state.rollout
    if rollout is None:
        return
    now = rollout.sim_now()
    if rollout.kind == "create":
        if now < rollout.total:
            return
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
        return

    # Every way an update can end, with its simulated time; the earliest that has happened wins.
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
    events.append((rollout.total, 1, "success", None))
    when, _, outcome, reason = min(events, key=lambda e: (e[0], e[1]))
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


def predict(row: str, model_version: str) -> float:
    """A stable score in [0, 1) for one input row under one model version."""
    digest = hashlib.sha256(f"{model_version}\x00{row}".encode()).digest()
    return round(int.from_bytes(digest[:8], "big") / 2**64, 6)
