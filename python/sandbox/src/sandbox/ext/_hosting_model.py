"""Endpoint state on simulated time: fleets, variants, rollouts and their phases.

Nothing here runs in the background. A rollout stores its plan (phases on a simulated-seconds timeline
that starts at the request, built by `_hosting_plan`) and `_hosting_progress.advance` works out, whenever
the endpoint is looked at, what has happened by now. These modules know nothing of moto;
`_hosting_backend` connects them to moto's backends.
"""

from __future__ import annotations

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
    # Requests this variant has served: numbers the draws of its error rate, so a run replays exactly.
    served: int = 0
    captured: int = 0  # requests seen by data capture's sampling counter

    @property
    def capacity(self) -> int:
        # Serverless variants have no instance count; count them as one unit of capacity.
        return self.instance_count if self.serverless is None else 1

    def markers(self) -> Markers:
        """What this variant's own containers ask of the sandbox (a shadow's behaviour is its own)."""
        return collect_markers([self])


@dataclass
class Markers:
    fault: str | None = None
    latency_ms: int = 0
    provision_seconds: float | None = None
    constant_prediction: float | None = None  # a model that ignores its input
    prediction_offset: float = 0.0  # added to every score: a "worse" candidate
    model_latency_ms: float | None = None  # the model's own time per request, simulated
    error_rate: float = 0.0  # share of requests the container answers with a 500
    seed: int = 0


def collect_markers(variants: list[Variant]) -> Markers:
    found = Markers()
    for variant in variants:
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
            found.prediction_offset += _finite(env.get("SANDBOX_PREDICTION_OFFSET")) or 0.0
            model_ms = _float(env.get("SANDBOX_MODEL_LATENCY_MS"))
            if model_ms is not None:
                found.model_latency_ms = (found.model_latency_ms or 0.0) + model_ms
            found.error_rate = max(found.error_rate, min(1.0, _float(env.get("SANDBOX_ERROR_RATE")) or 0.0))
            found.seed = found.seed or _int(env.get("SANDBOX_SEED"))
    return found


@dataclass
class Fleet:
    """The instances serving one endpoint config."""

    config_name: str
    variants: list[Variant]
    data_capture: dict[str, Any]
    created_at: datetime
    # Smooth weighted round-robin state: picks variants in proportion to their weights, deterministically.
    rr_current: list[float] = field(default_factory=list)
    # ShadowProductionVariants: each gets a sampled copy of the production variant's requests.
    shadows: list[Variant] = field(default_factory=list)
    mirrored: int = 0  # production requests seen, for the shadow's sampling counter

    @property
    def capacity(self) -> int:
        return sum(v.capacity for v in self.variants)

    def markers(self) -> Markers:
        """Fleet-wide markers (provisioning, health): a shadow that never gets healthy fails the fleet too."""
        return collect_markers([*self.variants, *self.shadows])

    def shadow_share(self) -> Fraction:
        """The share of production requests copied to the shadow: its weight relative to production's, at most 1."""
        if not self.shadows or not self.variants:
            return Fraction(0)
        production = sum(v.weight for v in self.variants) or 1.0
        return min(Fraction(1), Fraction(self.shadows[0].weight / production).limit_denominator(1000))

    def next_shadow(self) -> Variant | None:
        """The shadow to mirror this request to, or None: exactly `shadow_share` of any run of requests."""
        share = self.shadow_share()
        n = self.mirrored
        self.mirrored += 1
        if share and math.floor((n + 1) * share) > math.floor(n * share):
            return self.shadows[0]
        return None

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


def share(size: dict[str, Any], variant: Variant) -> Fraction:
    """A CapacitySize as a fraction of the variant's instance count."""
    if size["Type"] == "CAPACITY_PERCENT":
        return Fraction(int(size["Value"]), 100)
    return Fraction(int(size["Value"]), max(1, variant.capacity))
