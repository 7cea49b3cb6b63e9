"""What every rollout strategy defines, and the registry that config validation and rollouts read.

A strategy is one small class: its name, its step limits (None: it takes no step), how many traffic shifts
or batches SageMaker makes, and the update policy it puts into UpdateEndpoint's DeploymentConfig.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from deployer.config.settings import DeploymentSettings, StepSettings

STEP_TYPES = ("INSTANCE_COUNT", "CAPACITY_PERCENT")

# The deployment section's timing keys and the (shape, member) of botocore's sagemaker model that bounds each,
# as a blue/green update sends them; config validation reads the ranges from the model.
BLUE_GREEN_TIMING = {
    "wait_seconds": ("TrafficRoutingConfig", "WaitIntervalInSeconds"),
    "termination_wait_seconds": ("BlueGreenUpdatePolicy", "TerminationWaitInSeconds"),
    "max_execution_timeout_seconds": ("BlueGreenUpdatePolicy", "MaximumExecutionTimeoutInSeconds"),
}


@dataclass(frozen=True)
class StepLimits:
    """SageMaker's bounds for one strategy's step, in percent of the fleet.

    CAPACITY_PERCENT must lie in `percent`. INSTANCE_COUNT must lie in `fleet_share` of instance_count, the
    lower bound rounded up and at least one instance, the upper bound rounded down.
    """

    noun: str  # how a message names the step: "canary", "linear step", "rolling batch"
    percent: tuple[int, int]
    fleet_share: tuple[int, int]
    types: tuple[str, ...] = STEP_TYPES
    # False: the step may not be the whole fleet (a canary of every instance guards nothing).
    whole_fleet: bool = True

    def instances(self, kind: str, value: int, count: int) -> int:
        """The step in whole instances, as SageMaker resolves it: a percentage rounds down, to at least 1."""
        if kind == "CAPACITY_PERCENT":
            return min(count, max(1, count * value // 100))
        return value

    def instance_range(self, count: int) -> tuple[int, int]:
        low_share, high_share = self.fleet_share
        return max(1, math.ceil(count * low_share / 100)), count * high_share // 100

    def problem(self, kind: str, value: int, count: int) -> tuple[str, str] | None:
        """(message, allowed) when the step is outside the limits, else None."""
        if kind == "CAPACITY_PERCENT":
            low, high = self.percent
            if not low <= value <= high:
                return f"{self.noun} of {value}% is out of range", f"CAPACITY_PERCENT {low}-{high}"
            if self.whole_fleet or self.instances(kind, value, count) < count:
                return None
            return (
                f"{self.noun} of {value}% is {count} of {count} instances (rounded down to whole instances, at "
                "least 1): the whole fleet",
                f"instance_count >= 2 for a {self.noun}",
            )
        low, high = self.instance_range(count)
        if low <= value <= high:
            return None
        if high < low:
            smallest = math.ceil(100 / self.fleet_share[1])
            return (
                f"{self.noun} of {value} instances is out of range",
                f"instance_count >= {smallest} for an INSTANCE_COUNT {self.noun}",
            )
        low_share, high_share = self.fleet_share
        share = f"{low_share}-{high_share}%" if low_share else f"at most {high_share}%"
        allowed = f"INSTANCE_COUNT {low}-{high} ({share} of instance_count {count})"
        return f"{self.noun} of {value} instances is out of range", allowed


class Strategy(ABC):
    """One rollout strategy; subclasses set `name` and `limits` and say how SageMaker shifts traffic."""

    name: str
    limits: StepLimits | None = None
    # Rolling updates have no blue fleet kept after the shift, so no termination wait.
    termination_waits: bool = True
    timing: ClassVar[dict[str, tuple[str, str]]] = BLUE_GREEN_TIMING

    @abstractmethod
    def shifts(self, step: StepSettings, count: int) -> int:
        """Traffic shifts (blue/green) or batches (rolling); each one bakes wait_seconds."""

    @abstractmethod
    def update_policy(self, settings: DeploymentSettings) -> dict[str, Any]:
        """The DeploymentConfig entry of this strategy (BlueGreenUpdatePolicy or RollingUpdatePolicy)."""

    def waiting_seconds(self, settings: DeploymentSettings, count: int) -> int:
        steps = 1 if settings.step is None else self.shifts(settings.step, count)
        return settings.wait_seconds * steps + (settings.termination_wait_seconds if self.termination_waits else 0)


def capacity(step: StepSettings | None) -> dict[str, Any]:
    if step is None:
        raise ValueError("this strategy needs deployment.step")
    return {"Type": step.type, "Value": step.value}


def shifts_by_size(step: StepSettings, count: int) -> int:
    """Steps of a fixed size needed to move the whole fleet."""
    whole = 100 if step.type == "CAPACITY_PERCENT" else count
    return max(1, math.ceil(whole / step.value))


def blue_green(settings: DeploymentSettings, **size: dict[str, Any]) -> dict[str, Any]:
    routing = {"Type": settings.strategy.upper(), "WaitIntervalInSeconds": settings.wait_seconds, **size}
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": settings.termination_wait_seconds,
            "MaximumExecutionTimeoutInSeconds": settings.max_execution_timeout_seconds,
        }
    }


_REGISTRY: dict[str, Strategy] = {}
S = TypeVar("S", bound=type[Strategy])


def register(cls: S) -> S:
    """Class decorator: make the strategy known to config validation and rollouts."""
    if cls.name in _REGISTRY:
        raise ValueError(f"strategy {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls()
    return cls


def get_strategy(name: str) -> Strategy:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown deployment strategy {name!r} (known: {', '.join(_REGISTRY)})") from None


def strategy_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)
