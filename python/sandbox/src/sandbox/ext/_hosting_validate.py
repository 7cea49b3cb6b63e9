"""DeploymentConfig validation with AWS's checks and ValidationException wording."""

from __future__ import annotations

import logging
from fractions import Fraction
from typing import Any

from sandbox.ext._hosting_model import DeploymentConfigError, Fleet, Variant, share

log = logging.getLogger(__name__)

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


def _describe_size(size: dict[str, Any]) -> str:
    unit = "%" if size["Type"] == "CAPACITY_PERCENT" else " instance(s)"
    return f"{size['Value']}{unit}"


def _check_routing(routing: dict[str, Any], sized: list[Variant]) -> None:
    """Canary and linear step sizes against each instance-based variant."""
    kind = routing["Type"]
    if kind == "CANARY":
        size = routing.get("CanarySize")
        if size is None:
            raise DeploymentConfigError("CanarySize must be specified when TrafficRoutingConfiguration Type is CANARY.")
        for variant in sized:
            if share(size, variant) > Fraction(1, 2):
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
            if not Fraction(1, 10) <= share(size, variant) <= Fraction(1, 2):
                raise DeploymentConfigError(
                    f"LinearStepSize {_describe_size(size)} is invalid for production variant '{variant.name}' "
                    f"with {variant.instance_count} instance(s): each step must be between 10% and 50% of the "
                    "variant's total instance count."
                )


def _check_rolling(rolling: dict[str, Any], target: Fleet, sized: list[Variant]) -> None:
    if len(sized) != len(target.variants):
        raise DeploymentConfigError("RollingUpdatePolicy is not supported for serverless production variants.")
    for variant in sized:
        batch = share(rolling["MaximumBatchSize"], variant)
        if not Fraction(5, 100) <= batch <= Fraction(1, 2):
            raise DeploymentConfigError(
                f"MaximumBatchSize {_describe_size(rolling['MaximumBatchSize'])} is invalid for production "
                f"variant '{variant.name}' with {variant.instance_count} instance(s): the batch must be between "
                "5% and 50% of the variant's total instance count."
            )
        rollback = rolling.get("RollbackMaximumBatchSize")
        if rollback is not None and not Fraction(5, 100) <= share(rollback, variant) <= 1:
            raise DeploymentConfigError(
                f"RollbackMaximumBatchSize {_describe_size(rollback)} is invalid for production variant "
                f"'{variant.name}' with {variant.instance_count} instance(s): the batch must be between 5% "
                "and 100% of the variant's total instance count."
            )


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
        _check_routing(blue_green["TrafficRoutingConfiguration"], sized)
    if rolling is not None:
        _check_rolling(rolling, target, sized)
