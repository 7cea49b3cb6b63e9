"""Rolling update: instances are replaced in batches on the same fleet, each batch baked for wait_seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from deployer.strategies.base import BLUE_GREEN_TIMING, StepLimits, Strategy, capacity, register, shifts_by_size

if TYPE_CHECKING:
    from deployer.config.settings import DeploymentSettings, StepSettings


@register
class Rolling(Strategy):
    name = "rolling"
    # SageMaker: a batch is 5-50% of the fleet.
    limits = StepLimits("rolling batch", percent=(5, 50), fleet_share=(5, 50))
    termination_waits = False
    # The termination wait is not sent for a rolling update; its key keeps the blue/green bounds.
    timing: ClassVar[dict[str, tuple[str, str]]] = {
        **BLUE_GREEN_TIMING,
        "wait_seconds": ("RollingUpdatePolicy", "WaitIntervalInSeconds"),
        "max_execution_timeout_seconds": ("RollingUpdatePolicy", "MaximumExecutionTimeoutInSeconds"),
    }

    def shifts(self, step: StepSettings, count: int) -> int:
        return shifts_by_size(step, count)

    def update_policy(self, settings: DeploymentSettings) -> dict[str, Any]:
        return {
            "RollingUpdatePolicy": {
                "MaximumBatchSize": capacity(settings.step),
                "WaitIntervalInSeconds": settings.wait_seconds,
                "MaximumExecutionTimeoutInSeconds": settings.max_execution_timeout_seconds,
            }
        }
