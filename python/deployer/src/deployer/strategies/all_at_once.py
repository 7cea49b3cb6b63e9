"""Blue/green with one traffic shift: the whole fleet at once, still baked for wait_seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deployer.strategies.base import Strategy, blue_green, register

if TYPE_CHECKING:
    from deployer.config.settings import DeploymentSettings, StepSettings


@register
class AllAtOnce(Strategy):
    name = "all_at_once"

    def shifts(self, step: StepSettings, count: int) -> int:
        return 1

    def update_policy(self, settings: DeploymentSettings) -> dict[str, Any]:
        return blue_green(settings)
