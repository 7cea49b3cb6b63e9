"""Validator of the `deployment` section; the strategies' limits come from the registry in deployer.strategies.

The timing keys' ranges are UpdateEndpoint's, read from botocore's sagemaker model for the shape each strategy
sends them in (`Strategy.timing`).
"""

from __future__ import annotations

import logging
from typing import Any

from deployer.config.aws_limits import int_limit
from deployer.config.checker import Checker
from deployer.config.patterns import ALARM
from deployer.config.settings import DeploymentSettings, StepSettings
from deployer.strategies import BLUE_GREEN_TIMING, get_strategy, strategy_names

log = logging.getLogger(__name__)

KEYS = (
    "strategy",
    "step",
    "wait_seconds",
    "termination_wait_seconds",
    "max_execution_timeout_seconds",
    "rollback_alarms",
    "allow_unguarded_fallback",
)
TIMING_KEYS = ("wait_seconds", "termination_wait_seconds", "max_execution_timeout_seconds")
MAX_ALARMS = 10
# SageMaker's deployment guardrails exclude Inf1 instances: UpdateEndpoint falls back to all at once, with no
# baking and no alarms (AWS's "Deployment guardrails" exclusions; AWS Marketplace containers too).
UNGUARDED_FAMILIES = ("ml.inf1.",)
# AWS Marketplace serves its sellers' images from this ECR registry account; its containers carry a ProductId.
MARKETPLACE_REGISTRY = "709825985650"
UNGUARDED_ALLOWED = "all_at_once with no rollback_alarms, or deployment.allow_unguarded_fallback: true"
GUARDED_STRATEGIES = ("canary", "linear", "rolling")


def shift_steps(strategy: str, step: StepSettings | None, count: int) -> int:
    """Number of traffic shifts (blue/green) or batches (rolling) SageMaker performs; each one bakes wait_seconds."""
    if step is None:
        return 1
    return get_strategy(strategy).shifts(step, count)


def deployment_settings(
    data: dict[str, Any], c: Checker, count: int | None, *, instance_type: str = ""
) -> DeploymentSettings:
    """The deployment section; `count` is endpoint.instance_count, None when invalid (step sizes are then unchecked)."""
    dep = c.section(data, "deployment", KEYS)
    if dep is None:
        return DeploymentSettings("", None, 0, 0, 600, ())
    strategy = c.choice(dep, "deployment.strategy", strategy_names())
    step = _step(dep, c, strategy, count)
    timing = get_strategy(strategy).timing if strategy else BLUE_GREEN_TIMING
    wait, termination, max_timeout = (_seconds(dep, c, key, timing[key]) for key in TIMING_KEYS)
    fallback = _allow_fallback(dep, c)
    settings = DeploymentSettings(strategy, step, wait, termination, max_timeout, _alarms(dep, c), fallback)
    _check_guardrails(settings, c, instance_type)
    if strategy and not c.has_problems("deployment."):
        # With any problem in the section the total would be computed from placeholders.
        waiting = get_strategy(strategy).waiting_seconds(settings, count or 1)
        if max_timeout <= waiting:
            highest = int_limit("sagemaker", *timing["max_execution_timeout_seconds"]).high
            c.add(
                "deployment.max_execution_timeout_seconds",
                f"{max_timeout} is not larger than the total waiting time {waiting}s of the {strategy} strategy",
                f"{waiting + 1}-{highest}",
            )
    return settings


def _seconds(dep: dict[str, Any], c: Checker, key: str, field: tuple[str, str]) -> int:
    limit = int_limit("sagemaker", *field)
    return c.integer(
        dep,
        f"deployment.{key}",
        limit.low,
        limit.high,
        note=f"UpdateEndpoint's {limit.source.removeprefix('SageMaker ')}",
    )


def _step(dep: dict[str, Any], c: Checker, strategy: str, count: int | None) -> StepSettings | None:
    limits = get_strategy(strategy).limits if strategy else None
    raw = dep.get("step")
    if limits is None:
        if strategy and raw not in (None, {}):
            log.debug("%s: deployment.step is ignored for %s", c.where, strategy)
        return None
    if not isinstance(raw, dict):
        found = "missing" if raw is None else "not an object"
        c.add("deployment.step", found, f'{{"type": {"|".join(limits.types)}, "value": n}}')
        return None
    for extra in sorted(set(raw) - {"type", "value"}):
        c.add(f"deployment.step.{extra}", "unknown key", "type, value")
    kind = c.choice(raw, "deployment.step.type", limits.types)
    size = int_limit("sagemaker", "CapacitySize", "Value")
    value = c.integer(raw, "deployment.step.value", size.low, size.high, note=size.source)
    if not kind or value != raw.get("value"):
        return None
    step = StepSettings(kind, value)
    problem = limits.problem(kind, value, count) if count is not None else None
    if problem:
        c.add("deployment.step.value", *problem)
    return step


def _alarms(dep: dict[str, Any], c: Checker) -> tuple[str, ...]:
    raw = dep.get("rollback_alarms", [])
    if not isinstance(raw, list):
        c.add("deployment.rollback_alarms", "not a list", f"a list of 0-{MAX_ALARMS} CloudWatch alarm names")
        return ()
    if len(raw) > MAX_ALARMS:
        c.add("deployment.rollback_alarms", f"{len(raw)} alarms", f"0-{MAX_ALARMS} CloudWatch alarm names")
    alarms: list[str] = []
    for index, alarm in enumerate(raw):
        if isinstance(alarm, str) and ALARM.match(alarm):
            alarms.append(alarm)
        else:
            c.add(f"deployment.rollback_alarms[{index}]", f"{alarm!r} is invalid", "an alarm name of 1-255 characters")
    if len(set(alarms)) != len(alarms):
        c.add("deployment.rollback_alarms", "duplicate alarm names", "distinct alarm names")
    return tuple(alarms)


def _allow_fallback(dep: dict[str, Any], c: Checker) -> bool:
    if "allow_unguarded_fallback" not in dep:
        return False
    return c.boolean(dep, "deployment.allow_unguarded_fallback")


def unguarded_hardware(instance_type: str) -> bool:
    return instance_type.startswith(UNGUARDED_FAMILIES)


def _check_guardrails(settings: DeploymentSettings, c: Checker, instance_type: str) -> None:
    """A guarded rollout on hardware without guardrails would silently run all at once: refuse it unless the
    config accepts the fallback."""
    if settings.allow_unguarded_fallback or not unguarded_hardware(instance_type):
        return
    allowed = UNGUARDED_ALLOWED
    why = f"SageMaker has no deployment guardrails on {instance_type} and falls back to all at once"
    if settings.strategy in GUARDED_STRATEGIES:
        c.add("deployment.strategy", f"{settings.strategy} is not possible: {why}", allowed)
    if settings.rollback_alarms:
        c.add("deployment.rollback_alarms", f"alarms are not watched: {why}", allowed)
