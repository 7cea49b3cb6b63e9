"""Blue/green canary: a small share of the traffic first, baked, then the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployer.strategies.base import StepLimits, Strategy, blue_green, capacity, register

if TYPE_CHECKING:
    from deployer.config.settings import DeploymentSettings, StepSettings


@register
class Canary(Strategy):
    name = "canary"
    # SageMaker: the canary is at most half the fleet; the deployer also refuses one that is every instance.
    limits = StepLimits("canary", percent=(1, 50), fleet_share=(0, 50), whole_fleet=False)

    def shifts(self, step: StepSettings, count: int) -> int:
        return 2

    def update_policy(self, settings: DeploymentSettings) -> dict[str, Any]:
        return blue_green(settings, CanarySize=capacity(settings.step))
