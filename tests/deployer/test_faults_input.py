"""Fault scenarios 29-32: bad input is refused before anything changes (issue 13).

v1 is live; v2 is Approved and would be deployed. A bad config value, flag or environment variable must end in
exit 2 with the endpoint, its autoscaling, the ledger (history and lease) and the registry marks as they were.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from deployer.cli import main
from tests.deployer.conftest import World, cli, history


def snapshot(world: World, v1_arn: str, v2_arn: str) -> dict[str, Any]:
    """Everything a deploy of v2 would change."""
    endpoint = world.describe()
    resource = f"endpoint/{world.endpoint}/variant/AllTraffic"
    scaling = world.dev_aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource])
    policies = world.dev_aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource)
    return {
        "endpoint": {k: endpoint.get(k) for k in ("EndpointStatus", "EndpointConfigName", "LastModifiedTime")},
        "variants": endpoint["ProductionVariants"],
        "ours": world.ours(),
        "scaling": [(t["MinCapacity"], t["MaxCapacity"]) for t in scaling["ScalableTargets"]],
        "policies": [p["PolicyName"] for p in policies["ScalingPolicies"]],
        "history": history(world, "dev"),
        "lease": world.ledger().lock_holder(world.endpoint),
        "marks": (world.metadata(v1_arn), world.metadata(v2_arn)),
    }


Live = tuple[World, dict[str, Any], tuple[str, str]]


@pytest.fixture
def live_v1(world: World) -> Live:
    """v1 deployed, v2 Approved and waiting: the world, its snapshot, and both package ARNs."""
    _, v1_arn = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    _, v2_arn = world.add_version()
    return world, snapshot(world, v1_arn, v2_arn), (v1_arn, v2_arn)


def write_raw(world: World, **sections: Any) -> None:
    """The config as a file, NaN and Infinity written as the JSON literals json.loads accepts."""
    (world.config_dir / "dev.json").write_text(json.dumps(world.config_doc(**sections), indent=2))


def unchanged(world: World, before: dict[str, Any], arns: tuple[str, str]) -> None:
    assert snapshot(world, *arns) == before


def test_29_nan_and_infinity_in_the_config_change_nothing(live_v1: Live, capsys: pytest.CaptureFixture[str]) -> None:
    world, before, arns = live_v1
    write_raw(
        world,
        autoscaling={"target_invocations_per_instance": float("nan")},
        deployment={"wait_seconds": float("inf")},
    )
    assert "NaN" in (world.config_dir / "dev.json").read_text()

    assert cli(world, "deploy", "--stage", "dev") == 2
    err = capsys.readouterr().err
    assert "autoscaling.target_invocations_per_instance: NaN is not a finite number (allowed: a number > 0" in err
    assert "deployment.wait_seconds: Infinity is not an integer (allowed: integer 0-3600;" in err
    unchanged(world, before, arns)

    world.write_config()  # the same run with the config fixed does ship v2: only the input stopped it
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert world.describe()["EndpointConfigName"] != before["endpoint"]["EndpointConfigName"]


def test_30_over_limit_numbers_booleans_and_reserved_tags_change_nothing(
    live_v1: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    world, before, arns = live_v1
    cases: list[tuple[dict[str, Any], str]] = [
        ({"endpoint": {"instance_count": True}}, "endpoint.instance_count: true is a boolean, not an integer"),
        ({"autoscaling": {"max_capacity": 2**31}}, "autoscaling.max_capacity: 2147483648 is out of range"),
        ({"data_capture": {"sampling_percentage": 101}}, "data_capture.sampling_percentage: 101 is out of range"),
        ({"tags": {"deployer:stage": "prod"}}, "tags.deployer:stage: the prefix deployer: is reserved"),
        ({"tags": {"team": "a;b"}}, "tags.team: the value has the character ';'"),
    ]
    for sections, problem in cases:
        write_raw(world, **sections)
        assert cli(world, "rollback" if "tags" in sections else "deploy", "--stage", "dev") == 2, problem
        err = capsys.readouterr().err
        assert f"{world.config_dir / 'dev.json'}: {problem}" in err and "(allowed: " in err, err
    unchanged(world, before, arns)


@pytest.mark.parametrize(
    "flags",
    [("deploy", "--timeout", "nan"), ("deploy", "--lock-wait=-1"), ("rollback", "--timeout", "inf")],
    ids=["timeout-nan", "lock-wait-negative", "rollback-timeout-inf"],
)
def test_31_bad_flags_change_nothing(live_v1: Live, capsys: pytest.CaptureFixture[str], flags: tuple[str, ...]) -> None:
    world, before, arns = live_v1
    with pytest.raises(SystemExit) as exc:
        main(["--config-dir", str(world.config_dir), *flags, "--stage", "dev"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flags[1].split('=')[0]}: " in err and "(allowed: seconds, a finite number" in err
    unchanged(world, before, arns)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEPLOYER_LOCK_WAIT_SECONDS", "inf"),
        ("DEPLOYER_POLL_SECONDS", "nan"),
        ("DEPLOYER_LOCK_TTL_SECONDS", "-1"),
        ("DEPLOYER_MAX_ATTEMPTS", "0"),
    ],
)
def test_32_bad_environment_variables_change_nothing(
    live_v1: Live,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
) -> None:
    world, before, arns = live_v1
    monkeypatch.setenv(name, value)
    assert cli(world, "deploy", "--stage", "dev") == 2
    err = capsys.readouterr().err
    assert f"error: {name}: {value!r} " in err and "(allowed: " in err and "Traceback" not in err
    unchanged(world, before, arns)
