"""The UpdateEndpoint DeploymentConfig for a stage's strategy, and how long a rollout may take.

Both delegate to the strategy registry (deployer.strategies); this module keeps the names rollouts call.
"""

from __future__ import annotations

from typing import Any

from deployer.config import DeploymentSettings, StageConfig
from deployer.strategies import get_strategy

# Simulated-or-real seconds SageMaker needs to provision a fleet, and again to roll back or tear down.
PROVISION_MARGIN_SECONDS = 900


def deployment_config(settings: DeploymentSettings) -> dict[str, Any]:
    """The UpdateEndpoint DeploymentConfig: the strategy's blue/green or rolling policy, plus rollback alarms."""
    result = get_strategy(settings.strategy).update_policy(settings)
    if settings.rollback_alarms:
        result["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in settings.rollback_alarms]}
    return result


def rollout_timeout(config: StageConfig, *, creating: bool) -> float:
    """Seconds to wait for the endpoint to settle.

    create: 2 x margin. update: margin + steps x wait + termination wait, capped by the strategy's
    MaximumExecutionTimeoutInSeconds (SageMaker gives up there), plus one margin for rolling back.
    """
    if creating:
        return 2.0 * PROVISION_MARGIN_SECONDS
    dep = config.deployment
    waiting = get_strategy(dep.strategy).waiting_seconds(dep, config.endpoint.instance_count)
    expected = PROVISION_MARGIN_SECONDS + waiting
    return float(min(expected, dep.max_execution_timeout_seconds) + PROVISION_MARGIN_SECONDS)
