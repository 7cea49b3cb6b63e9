"""Config validation where SageMaker's deployment guardrails do not hold: Inf1 hardware, whole-fleet canaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deployer.config import load_stage_config
from deployer.errors import ConfigError
from deployer.strategies import get_strategy
from tests.deployer.test_config import base_doc, problems, write

ALLOWED = "(allowed: all_at_once with no rollback_alarms, or deployment.allow_unguarded_fallback: true)"


def inf1_doc(**deployment: Any) -> dict[str, Any]:
    doc = base_doc()
    doc["endpoint"]["instance_type"] = "ml.inf1.xlarge"
    doc["deployment"].update(deployment)
    return doc


def test_guarded_strategy_on_inf1_is_refused_naming_file_field_and_allowed(tmp_path: Path) -> None:
    found = problems(tmp_path, inf1_doc())
    where = f"{tmp_path / 'config' / 'dev.json'}"
    assert found == [
        f"{where}: deployment.strategy: canary is not possible: SageMaker has no deployment guardrails on "
        f"ml.inf1.xlarge and falls back to all at once {ALLOWED}",
        f"{where}: deployment.rollback_alarms: alarms are not watched: SageMaker has no deployment guardrails on "
        f"ml.inf1.xlarge and falls back to all at once {ALLOWED}",
    ]
    assert ConfigError(found).exit_code == 2


@pytest.mark.parametrize("strategy", ["linear", "rolling"])
def test_every_guarded_strategy_is_refused_on_inf1(tmp_path: Path, strategy: str) -> None:
    found = problems(tmp_path, inf1_doc(strategy=strategy, rollback_alarms=[]))
    assert len(found) == 1 and "deployment.strategy: " in found[0], found


def test_all_at_once_without_alarms_runs_on_inf1(tmp_path: Path) -> None:
    doc = inf1_doc(strategy="all_at_once", rollback_alarms=[])
    config = load_stage_config(write(tmp_path, doc), "dev")
    assert config.deployment.allow_unguarded_fallback is False


def test_opting_in_accepts_the_fallback(tmp_path: Path) -> None:
    config = load_stage_config(write(tmp_path, inf1_doc(allow_unguarded_fallback=True)), "dev")
    assert config.deployment.strategy == "canary"
    assert config.deployment.allow_unguarded_fallback is True


def test_allow_unguarded_fallback_must_be_a_boolean(tmp_path: Path) -> None:
    found = problems(tmp_path, inf1_doc(allow_unguarded_fallback="yes", strategy="all_at_once", rollback_alarms=[]))
    assert len(found) == 1 and "deployment.allow_unguarded_fallback: " in found[0], found
    assert "(allowed: true, false)" in found[0]


def test_canary_of_the_whole_fleet_is_refused(tmp_path: Path) -> None:
    doc = base_doc()
    doc["endpoint"]["instance_count"] = 1
    found = problems(tmp_path, doc)
    assert len(found) == 1, found
    assert "deployment.step.value: canary of 50% is 1 of 1 instances" in found[0]
    assert "(allowed: instance_count >= 2 for a canary)" in found[0]


@pytest.mark.parametrize(("value", "count", "instances"), [(50, 1, 1), (50, 3, 1), (25, 4, 1), (10, 4, 1), (50, 8, 4)])
def test_percent_steps_resolve_to_whole_instances(value: int, count: int, instances: int) -> None:
    limits = get_strategy("canary").limits
    assert limits is not None
    assert limits.instances("CAPACITY_PERCENT", value, count) == instances
