"""Deterministic resource names and the UpdateEndpoint DeploymentConfig for a stage's strategy."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from deployer.config import DeploymentSettings, StageConfig, shift_steps

MAX_NAME = 63
# Simulated-or-real seconds SageMaker needs to provision a fleet, and again to roll back or tear down.
PROVISION_MARGIN_SECONDS = 900
_OURS = re.compile(r"^(?P<prefix>[a-zA-Z0-9-]+)-v(?P<version>\d+)-(?P<digest>[0-9a-f]{8})$")


def digest(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def resource_name(endpoint: str, version: int, hash8: str) -> str:
    """`<endpoint>-v<version>-<hash8>`, the endpoint part shortened so the whole fits 63 characters."""
    suffix = f"-v{version}-{hash8}"
    prefix = endpoint[: MAX_NAME - len(suffix)].rstrip("-")
    return f"{prefix}{suffix}"


def name_prefix(endpoint: str, version: int = 1) -> str:
    """The endpoint part our names start with (as shortened for long endpoint names)."""
    return resource_name(endpoint, version, "0" * 8).rsplit("-v", 1)[0]


def parse_name(name: str) -> tuple[str, int, str] | None:
    """(prefix, version, hash8) of a name the deployer generated, else None."""
    match = _OURS.match(name)
    if not match:
        return None
    return match.group("prefix"), int(match.group("version")), match.group("digest")


def is_ours(name: str, endpoint: str) -> bool:
    parsed = parse_name(name)
    return parsed is not None and parsed[0] == name_prefix(endpoint, parsed[1])


def model_payload(config: StageConfig, package_arn: str) -> dict[str, Any]:
    return {"package": package_arn, "execution_role": config.endpoint.execution_role_arn}


def endpoint_config_payload(config: StageConfig, model_name: str) -> dict[str, Any]:
    ep, dc = config.endpoint, config.data_capture
    return {
        "model": model_name,
        "variant": ep.variant_name,
        "instance_type": ep.instance_type,
        "instance_count": ep.instance_count,
        "kms": ep.kms_key_arn,
        "capture": [dc.enabled, dc.sampling_percentage, dc.destination_s3_uri, dc.kms_key_arn] if dc.enabled else None,
    }


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
