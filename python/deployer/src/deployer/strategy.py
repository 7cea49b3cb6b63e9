"""The UpdateEndpoint DeploymentConfig for a stage's strategy, and how long a rollout may take."""

from __future__ import annotations

from typing import Any

from deployer.config import DeploymentSettings, StageConfig, shift_steps

# Simulated-or-real seconds SageMaker needs to provision a fleet, and again to roll back or tear down.
PROVISION_MARGIN_SECONDS = 900


def _capacity(step_type: str, value: int) -> dict[str, Any]:
    return {"Type": step_type, "Value": value}


def deployment_config(settings: DeploymentSettings) -> dict[str, Any]:
    """The UpdateEndpoint DeploymentConfig: blue/green (all at once, canary, linear) or rolling, plus alarms."""
    result: dict[str, Any] = {}
    if settings.strategy == "rolling":
        assert settings.step is not None
        result["RollingUpdatePolicy"] = {
            "MaximumBatchSize": _capacity(settings.step.type, settings.step.value),
            "WaitIntervalInSeconds": settings.wait_seconds,
            "MaximumExecutionTimeoutInSeconds": settings.max_execution_timeout_seconds,
        }
    else:
        routing: dict[str, Any] = {"Type": settings.strategy.upper(), "WaitIntervalInSeconds": settings.wait_seconds}
        if settings.strategy == "canary":
            assert settings.step is not None
            routing["CanarySize"] = _capacity(settings.step.type, settings.step.value)
        elif settings.strategy == "linear":
            assert settings.step is not None
            routing["LinearStepSize"] = _capacity(settings.step.type, settings.step.value)
        result["BlueGreenUpdatePolicy"] = {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": settings.termination_wait_seconds,
            "MaximumExecutionTimeoutInSeconds": settings.max_execution_timeout_seconds,
        }
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
    steps = shift_steps(dep.strategy, dep.step, config.endpoint.instance_count)
    termination = dep.termination_wait_seconds if dep.strategy != "rolling" else 0
    expected = PROVISION_MARGIN_SECONDS + steps * dep.wait_seconds + termination
    return float(min(expected, dep.max_execution_timeout_seconds) + PROVISION_MARGIN_SECONDS)
