"""Rollout strategies: one module each, registered on import.

A new strategy is a new module here with a `@register`ed `Strategy` subclass, plus its import below.
Config validation, DeploymentConfig and rollout timeouts read everything else from the registry;
scripts/strategy_limits_tf.py copies the step limits into the stage module's Terraform.
"""

from __future__ import annotations

from deployer.strategies import all_at_once, canary, linear, rolling  # noqa: F401  (registration)
from deployer.strategies.base import (
    BLUE_GREEN_TIMING,
    STEP_TYPES,
    StepLimits,
    Strategy,
    get_strategy,
    register,
    strategy_names,
)

__all__ = ["BLUE_GREEN_TIMING", "STEP_TYPES", "StepLimits", "Strategy", "get_strategy", "register", "strategy_names"]
