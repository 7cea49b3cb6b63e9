"""Fault scenarios 23-25: bad input is refused before anything changes, and the proof of serving reads as far
back as it must (issue 13, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployer.ledger import Deployment, Outcome
from tests.deployer.conftest import IMAGE, World, cli, history


def unchanged(world: World, config: str) -> bool:
    return world.describe()["EndpointConfigName"] == config


def test_23_unhostable_version_is_refused_in_preflight(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    live = world.describe()["EndpointConfigName"]
    capsys.readouterr()
    # A version registered for other instance types only.
    world.tooling_sm.create_model_package(
        ModelPackageGroupName=world.group,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{world.bucket}/model/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.g5.xlarge"],
        },
        ModelApprovalStatus="Approved",
    )
    assert cli(world, "deploy", "--stage", "dev") == 2
    err = capsys.readouterr().err
    assert "endpoint.instance_type: ml.m5.large is not supported by model package v2" in err
    assert "(allowed: ml.g5.xlarge)" in err
    assert unchanged(world, live)
    assert not [e for e in history(world, "dev") if e["version"] == "2"]  # not even a `started` entry


def test_24_broken_or_escaping_smoke_cases_fail_the_deploy_before_the_switch(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    live = world.describe()["EndpointConfigName"]
    world.add_version()
    cases = world.root / "tests" / "smoke" / "cases.json"
    good = cases.read_text()
    cases.write_text(good[:-20])  # a truncated file
    capsys.readouterr()
    assert cli(world, "deploy", "--stage", "dev") == 2
    assert "cases.json: not valid JSON" in capsys.readouterr().err
    assert unchanged(world, live)

    cases.write_text(good)  # the cases are fine, but the smoke dir is a link out of the repository
    outside = world.root.parent / f"{world.root.name}-outside"
    (world.root / "tests" / "smoke").rename(outside)
    Path(world.root / "tests" / "smoke").symlink_to(outside, target_is_directory=True)
    assert cli(world, "deploy", "--stage", "dev") == 2
    assert "smoke_tests.dir: 'tests/smoke' leads to" in capsys.readouterr().err
    assert unchanged(world, live)
    assert not [e for e in history(world, "dev") if e["version"] == "2"]


def test_25_proof_of_serving_finds_the_last_deployment_behind_a_long_history(world: World) -> None:
    v1, arn1 = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    config = world.describe()["EndpointConfigName"]
    ledger = world.ledger(build_id="churn-dev:noise")
    for _ in range(120):  # more than two pages of newer entries that are not outcomes
        ledger.record_deployment(Deployment("dev", v1, arn1, world.endpoint, config), Outcome.STARTED, "noise")
    assert cli(world, "test", "--stage", "dev") == 0  # the proof reads back past the noise to v1's success


def test_23_version_without_inference_specification_is_refused_in_preflight(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    live = world.describe()["EndpointConfigName"]
    capsys.readouterr()
    # A registered but unhosted version (no InferenceSpecification), which the registry accepts.
    world.tooling_sm.create_model_package(ModelPackageGroupName=world.group, ModelApprovalStatus="Approved")
    assert cli(world, "deploy", "--stage", "dev") == 2
    err = capsys.readouterr().err
    assert "model package v2" in err and "has no InferenceSpecification containers, so it cannot be hosted" in err
    assert unchanged(world, live)
    assert not [e for e in history(world, "dev") if e["version"] == "2"]


def test_23_marketplace_container_with_a_guarded_strategy_is_refused_in_preflight(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    live = world.describe()["EndpointConfigName"]
    capsys.readouterr()
    marketplace_image = "709825985650.dkr.ecr.us-east-1.amazonaws.com/seller/model:1"
    world.tooling_sm.create_model_package(
        ModelPackageGroupName=world.group,
        InferenceSpecification={
            "Containers": [{"Image": marketplace_image, "ModelDataUrl": f"s3://{world.bucket}/model/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
    )
    assert cli(world, "deploy", "--stage", "dev") == 2  # the world's strategy is a canary with rollback alarms
    err = capsys.readouterr().err
    assert "deployment.strategy: canary with guardrails is not possible" in err
    assert f"the AWS Marketplace container {marketplace_image}, which SageMaker updates all at once" in err
    assert "deployment.allow_unguarded_fallback: true" in err
    assert unchanged(world, live)
