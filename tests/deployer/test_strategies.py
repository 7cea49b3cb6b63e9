"""The strategy registry: step limits in config validation, traffic shifts, DeploymentConfig, and the copy of the
limits in the stage module's Terraform. No AWS."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from deployer.config import DeploymentSettings, StepSettings, load_stage_config, shift_steps
from deployer.strategies import STEP_TYPES, get_strategy, strategy_names
from deployer.strategy import deployment_config, rollout_timeout
from tests.conftest import REPO
from tests.deployer.test_config import SEED_DEV, base_doc, problems, write

STAGE_MODULE = REPO / "modules" / "stage"


@pytest.mark.parametrize(
    ("strategy", "step", "count", "ok"),
    [
        ("canary", {"type": "INSTANCE_COUNT", "value": 1}, 2, True),
        ("canary", {"type": "INSTANCE_COUNT", "value": 2}, 3, False),  # more than half
        ("canary", {"type": "INSTANCE_COUNT", "value": 1}, 1, False),  # a one-instance fleet has no canary
        ("canary", {"type": "CAPACITY_PERCENT", "value": 51}, 4, False),
        ("linear", {"type": "CAPACITY_PERCENT", "value": 10}, 4, True),
        ("linear", {"type": "CAPACITY_PERCENT", "value": 9}, 4, False),
        ("linear", {"type": "CAPACITY_PERCENT", "value": 55}, 4, False),
        ("linear", {"type": "INSTANCE_COUNT", "value": 2}, 4, True),
        ("linear", {"type": "INSTANCE_COUNT", "value": 3}, 4, False),
        ("rolling", {"type": "INSTANCE_COUNT", "value": 1}, 2, True),
        ("rolling", {"type": "INSTANCE_COUNT", "value": 1}, 30, False),  # under 5% of the fleet
        ("rolling", {"type": "CAPACITY_PERCENT", "value": 4}, 10, False),
        ("rolling", {"type": "CAPACITY_PERCENT", "value": 50}, 10, True),
    ],
)
def test_strategy_sizes_mirror_sagemaker(
    tmp_path: Path, strategy: str, step: dict[str, Any], count: int, ok: bool
) -> None:
    doc = base_doc()
    doc["endpoint"]["instance_count"] = count
    doc["deployment"].update(strategy=strategy, step=step, wait_seconds=60, max_execution_timeout_seconds=3600)
    if ok:
        config = load_stage_config(write(tmp_path, doc), "dev")
        assert config.deployment.strategy == strategy
    else:
        found = problems(tmp_path, doc)
        assert len(found) == 1 and ": deployment.step.value: " in found[0] and "(allowed: " in found[0], found


def test_step_is_required_for_canary_and_ignored_for_all_at_once(tmp_path: Path) -> None:
    doc = base_doc()
    del doc["deployment"]["step"]
    assert any(": deployment.step: missing" in p for p in problems(tmp_path, doc))
    doc["deployment"]["strategy"] = "all_at_once"
    config = load_stage_config(write(tmp_path, doc), "dev")
    assert config.deployment.step is None


def test_timeout_must_exceed_the_total_waiting(tmp_path: Path) -> None:
    doc = base_doc()
    doc["deployment"].update(
        strategy="linear",
        step={"type": "CAPACITY_PERCENT", "value": 10},
        wait_seconds=300,
        termination_wait_seconds=600,
    )
    doc["deployment"]["max_execution_timeout_seconds"] = 3600  # 10 steps x 300 + 600 = 3600: not larger
    found = problems(tmp_path, doc)
    assert len(found) == 1
    assert (
        ": deployment.max_execution_timeout_seconds: 3600 is not larger than the total waiting time 3600s" in found[0]
    )
    assert "(allowed: 3601-28800)" in found[0]


def test_strategy_choices_come_from_the_registry(tmp_path: Path) -> None:
    assert strategy_names() == ("all_at_once", "canary", "linear", "rolling")
    doc = base_doc()
    doc["deployment"]["strategy"] = "blue-green"
    (found,) = problems(tmp_path, doc)
    assert found.endswith(f"(allowed: {', '.join(strategy_names())})")
    with pytest.raises(ValueError, match="unknown deployment strategy 'blue-green'"):
        get_strategy("blue-green")


@pytest.mark.parametrize(
    ("strategy", "step", "count", "shifts"),
    [
        ("all_at_once", None, 4, 1),
        ("all_at_once", StepSettings("CAPACITY_PERCENT", 10), 4, 1),
        ("canary", StepSettings("CAPACITY_PERCENT", 10), 4, 2),
        ("linear", StepSettings("CAPACITY_PERCENT", 30), 4, 4),
        ("linear", StepSettings("INSTANCE_COUNT", 2), 5, 3),
        ("rolling", StepSettings("INSTANCE_COUNT", 1), 3, 3),
        ("rolling", None, 3, 1),
    ],
)
def test_shift_steps(strategy: str, step: StepSettings | None, count: int, shifts: int) -> None:
    assert shift_steps(strategy, step, count) == shifts


def settings(strategy: str, step: StepSettings | None, alarms: tuple[str, ...] = ()) -> DeploymentSettings:
    return DeploymentSettings(strategy, step, 60, 30, 1800, alarms)


def test_blue_green_deployment_configs() -> None:
    step = StepSettings("CAPACITY_PERCENT", 20)
    sizes = {"all_at_once": {}, "canary": {"CanarySize": step}, "linear": {"LinearStepSize": step}}
    for strategy, size in sizes.items():
        config = deployment_config(settings(strategy, step if size else None, ("a1",)))
        routing = {"Type": strategy.upper(), "WaitIntervalInSeconds": 60}
        routing.update({key: {"Type": s.type, "Value": s.value} for key, s in size.items()})
        assert config == {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": routing,
                "TerminationWaitInSeconds": 30,
                "MaximumExecutionTimeoutInSeconds": 1800,
            },
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "a1"}]},
        }


def test_rolling_deployment_config_has_no_termination_wait() -> None:
    config = deployment_config(settings("rolling", StepSettings("INSTANCE_COUNT", 1)))
    assert config == {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 60,
            "MaximumExecutionTimeoutInSeconds": 1800,
        }
    }


def test_rollout_timeout_counts_shifts_and_termination_wait() -> None:
    config = load_stage_config(SEED_DEV.parent, "dev")  # canary: 2 x 300 + 60, capped at 1800
    assert rollout_timeout(config, creating=True) == 1800.0
    assert rollout_timeout(config, creating=False) == 900 + min(900 + 2 * 300 + 60, 1800)


# ---------------------------------------------------------------------------------------------------------------------
# the Terraform copy of the limits


def limits_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("strategy_limits_tf", REPO / "scripts" / "strategy_limits_tf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_terraform_limits_match_the_registry() -> None:
    """modules/stage/strategy_limits.tf is generated: regenerate with `python scripts/strategy_limits_tf.py`."""
    script = limits_script()
    text = (STAGE_MODULE / "strategy_limits.tf").read_text(encoding="utf-8")
    assert text == script.render(), "strategy_limits.tf is stale: run python scripts/strategy_limits_tf.py"
    for name in strategy_names():
        limits = get_strategy(name).limits
        block = re.search(rf"\n    {name} = {{\n(.*?)\n    }}", text, re.S)
        assert (block is None) == (limits is None), name
        if limits is not None and block is not None:
            assert f"percent     = [{limits.percent[0]}, {limits.percent[1]}]" in block.group(1)
            assert f"fleet_share = [{limits.fleet_share[0]}, {limits.fleet_share[1]}]" in block.group(1)
    assert '"' + '", "'.join(STEP_TYPES) + '"' in text


def test_terraform_validation_reads_the_generated_limits() -> None:
    """The deployment variable's validations name no strategy or number of their own."""
    variables = (STAGE_MODULE / "variables.tf").read_text(encoding="utf-8")
    start = variables.index('variable "deployment"')
    block = variables[start : variables.index("\nvariable ", start + 1)]
    for name in strategy_names():
        assert f'"{name}"' not in block.split("validation", 1)[1], name
    for local in ("deployment_strategies", "deployment_step_types", "deployment_step_limits"):
        assert f"local.{local}" in block, local


@pytest.mark.parametrize("strategy", [n for n in strategy_names() if get_strategy(n).limits is not None])
def test_percent_limits_are_enforced_at_their_bounds(tmp_path: Path, strategy: str) -> None:
    limits = get_strategy(strategy).limits
    assert limits is not None
    low, high = limits.percent
    for value, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        if value < 1:
            continue  # below every strategy's range: the integer check reports it
        doc: dict[str, Any] = base_doc()
        doc["deployment"].update(
            strategy=strategy, step={"type": "CAPACITY_PERCENT", "value": value}, max_execution_timeout_seconds=28800
        )
        if ok:
            assert load_stage_config(write(tmp_path, doc), "dev").deployment.strategy == strategy
        else:
            (found,) = problems(tmp_path, doc)
            assert f"(allowed: CAPACITY_PERCENT {low}-{high})" in found, found
