"""Validate a stage's merged config document in full, one section validator after another.

Validation collects every problem as `<file>: <field>: <message> (allowed: ...)` and raises them together,
before any AWS call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from deployer.config.checker import Checker
from deployer.config.deployment import deployment_settings
from deployer.config.fleet import autoscaling_settings, data_capture_settings, endpoint_settings, smoke_tests_dir
from deployer.config.gate import metric_gate_settings
from deployer.config.patterns import STAGE
from deployer.config.platform import PlatformConfig, ownership_problems
from deployer.config.sections import (
    ledger_settings,
    promotion_settings,
    registry_settings,
    stage_settings,
    target_settings,
)
from deployer.config.settings import SCHEMA_VERSION, StageConfig
from deployer.config.sources import deep_merge, load_raw
from deployer.config.tags import tags
from deployer.errors import ConfigError

TOP_LEVEL_KEYS = (
    "schema_version",
    "project",
    "platform",
    "model",
    "stage",
    "previous_stage",
    "next_stage",
    "requires_approval",
    "registry",
    "ledger",
    "promotion",
    "target",
    "endpoint",
    "data_capture",
    "deployment",
    "autoscaling",
    "smoke_tests",
    "tags",
    "metric_gate",
)


def validate(data: dict[str, Any], where: str, stage: str, problems: list[str]) -> StageConfig:
    """Validate the merged document; append problems; return the config (meaningful only without problems)."""
    c = Checker(where, problems)
    for extra in sorted(set(data) - set(TOP_LEVEL_KEYS)):
        c.add(extra, "unknown key", ", ".join(TOP_LEVEL_KEYS))
    ident = stage_settings(data, c, stage)
    registry = registry_settings(data, c)
    ledger = ledger_settings(data, c)
    promotion = promotion_settings(data, c)
    target = target_settings(data, c)
    endpoint, count_ok = endpoint_settings(data, c, target.account_id)
    data_capture = data_capture_settings(data, c)
    deployment = deployment_settings(
        data, c, endpoint.instance_count if count_ok else None, instance_type=endpoint.instance_type
    )
    return StageConfig(
        source=where,
        schema_version=SCHEMA_VERSION,
        project=ident.project,
        stage=ident.stage,
        previous_stage=ident.previous_stage,
        next_stage=ident.next_stage,
        requires_approval=ident.requires_approval,
        registry=registry,
        ledger=ledger,
        promotion=promotion,
        target=target,
        endpoint=endpoint,
        data_capture=data_capture,
        deployment=deployment,
        autoscaling=autoscaling_settings(data, c),
        smoke_tests_dir=smoke_tests_dir(data, c),
        tags=tags(data, c),
        model=ident.model,
        platform=ident.platform,
        metric_gate=metric_gate_settings(data, c),
    )


def load_stage_config(
    config_dir: str | Path, stage: str, platform: Callable[[], PlatformConfig] | None = None
) -> StageConfig:
    """Load and validate the config of `stage`; raise ConfigError listing every problem.

    With `platform` (the SSM source, platform.py), the team's files are merged over the document it returns and
    may set only the team keys; without it, the files alone are the whole config (local use, tests).
    """
    if not STAGE.match(stage):
        raise ConfigError([f"--stage: {stage!r} is not a stage name (allowed: {STAGE.pattern})"])
    data, where, problems = load_raw(Path(config_dir), stage, required=platform is None)
    if platform is not None:
        if problems:
            raise ConfigError(problems)
        return _merged(data, where, stage, platform())
    if problems and not data:
        raise ConfigError(problems)
    config = validate(data, where, stage, problems)
    if problems:
        raise ConfigError(problems)
    return config


def _merged(team: dict[str, Any], team_where: str, stage: str, platform: PlatformConfig) -> StageConfig:
    """The team document over the platform's; each problem names the source that set its field."""
    problems = ownership_problems(team, team_where, platform)
    if problems:
        raise ConfigError(problems)
    marker = "\x00config"
    raw: list[str] = []
    config = validate(deep_merge(platform.document, team), marker, stage, raw)
    if raw:
        raise ConfigError([_attributed(p, marker, team, team_where, platform.where) for p in raw])
    return replace(config, source=f"{team_where} over {platform.where}" if team else platform.where)


def _attributed(problem: str, marker: str, team: dict[str, Any], team_where: str, platform_where: str) -> str:
    path = problem.removeprefix(f"{marker}: ").split(": ", 1)[0]
    node: Any = team
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return problem.replace(marker, platform_where, 1)
        node = node[part]
    return problem.replace(marker, team_where, 1)
