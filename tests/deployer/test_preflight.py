"""Preflight and bad input: every failure here happens before the first change, so nothing is created."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from deployer.cli import main
from deployer.errors import AccessDeniedError
from tests.conftest import Sandbox
from tests.deployer.conftest import DEV, TOOLING, World

NOTHING: dict[str, list[str]] = {"models": [], "configs": [], "endpoints": []}


def deploy(world: World, *extra: str) -> int:
    return main(["--config-dir", str(world.config_dir), "deploy", "--stage", "dev", *extra])


def test_registry_policy_without_the_stage_account_is_access_denied(
    sandbox_env: Sandbox, unique: Callable[[str], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = World(sandbox_env, unique, tmp_path, share=False)
    world.write_config()
    world.add_version()

    assert deploy(world) == 5

    err = capsys.readouterr().err
    assert "error: access denied: sagemaker:DescribeModelPackage" in err
    assert f"in account {DEV}" in err
    assert f"arn:aws:iam::{DEV}:role/churn-dev-deploy" in err
    assert world.ours() == NOTHING


def test_access_denied_names_account_role_and_action(world: World) -> None:
    world.add_version()
    # the registry read itself goes through the stage account when registry.role_arn is empty
    world.sandbox.ensure_admin_role(DEV, "deployer")
    config = world.write_config(registry={"role_arn": ""}, target={"role_arn": f"arn:aws:iam::{DEV}:role/deployer"})
    world.tooling_sm.delete_model_package_group_policy(ModelPackageGroupName=world.group)
    with pytest.raises(AccessDeniedError) as exc:
        world.deployer(config).deploy()
    # default credentials land in tooling, which owns the group: the denial is the dev read in preflight
    assert (exc.value.account, exc.value.action) == (DEV, "sagemaker:DescribeModelPackage")
    assert exc.value.role == f"arn:aws:iam::{DEV}:role/deployer"
    assert world.ours() == NOTHING


def test_missing_execution_role_is_bad_input(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    world.write_config(endpoint={"execution_role_arn": f"arn:aws:iam::{DEV}:role/{world.name}-nope"})
    assert deploy(world) == 2
    err = capsys.readouterr().err
    assert f"endpoint.execution_role_arn: role {world.name}-nope does not exist in account {DEV}" in err
    assert world.ours() == NOTHING


def test_missing_artifact_is_bad_input(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version(key="model/missing.tar.gz")
    assert deploy(world) == 2
    assert f"artifact s3://{world.bucket}/model/missing.tar.gz does not exist" in capsys.readouterr().err
    assert world.ours() == NOTHING


def test_missing_rollback_alarm_is_bad_input_before_an_update(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    world.deployer().deploy()
    before = world.ours()
    world.add_version()
    world.write_config(deployment={"rollback_alarms": [world.alarms[0], "no-such-alarm"]})
    assert deploy(world) == 2
    assert "deployment.rollback_alarms: no-such-alarm not found" in capsys.readouterr().err
    assert world.ours() == before


def test_pinned_version_must_exist_and_be_approved(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    world.add_version(status="PendingManualApproval")
    assert deploy(world, "--model-version", "99") == 2
    assert "--model-version 99: no such version" in capsys.readouterr().err
    assert deploy(world, "--model-version", "2") == 2
    assert "version is PendingManualApproval, not Approved (pass --force" in capsys.readouterr().err
    assert world.ours() == NOTHING
    assert deploy(world, "--model-version", "2", "--force") == 0
    assert world.deployer().plan(pinned=2, force=True).action == "no-op"


def test_no_approved_version_is_nothing_to_deploy(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version(status="PendingManualApproval")
    assert main(["--config-dir", str(world.config_dir), "--output", "json", "deploy", "--stage", "dev"]) == 3
    captured = capsys.readouterr()
    assert "nothing to deploy: no Approved version in model package group" in captured.err
    assert '"exit_code": 3' in captured.out
    assert world.ours() == NOTHING


def test_target_credentials_in_the_wrong_account_are_refused(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    world.write_config(target={"role_arn": ""})  # current credentials land in tooling, not dev
    assert deploy(world) == 2
    err = capsys.readouterr().err
    assert f"target.account_id: {DEV} is configured, but current credentials act in account {TOOLING}" in err
    assert world.ours() == NOTHING


def test_missing_group_is_bad_input(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.write_config(registry={"model_package_group": f"{world.group}-gone"})
    assert deploy(world) == 2
    assert f"registry.model_package_group: {world.group}-gone does not exist" in capsys.readouterr().err


def test_invalid_config_changes_nothing_and_lists_every_problem(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    doc = world.config_doc(endpoint={"instance_count": 0}, deployment={"wait_seconds": -5})
    (world.config_dir / "dev.json").write_text(json.dumps(doc))
    assert deploy(world) == 2
    err = capsys.readouterr().err
    assert "endpoint.instance_count: 0 is out of range (allowed: integer 1-2147483647; " in err
    assert "deployment.wait_seconds: -5 is out of range (allowed: integer 0-3600; " in err
    assert "Traceback" not in err
    assert world.ours() == NOTHING
