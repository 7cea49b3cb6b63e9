"""Blue/green linear: traffic moves in equal steps, each baked for wait_seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployer.strategies.base import StepLimits, Strategy, blue_green, capacity, register, shifts_by_size

if TYPE_CHECKING:
    from deployer.config.settings import DeploymentSettings, StepSettings


@register
class Linear(Strategy):
    name = "linear"
    # SageMaker: each step is 10-50% of the fleet.
    limits = StepLimits("linear step", percent=(10, 50), fleet_share=(10, 50))

    def shifts(self, step: StepSettings, count: int) -> int:
        return shifts_by_size(step, count)

    def update_policy(self, settings: DeploymentSettings) -> dict[str, Any]:
        return blue_green(settings, LinearStepSize=capacity(settings.step))
