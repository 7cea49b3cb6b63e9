"""The CLI as CodeBuild runs it: a subprocess with the sandbox environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.deployer.conftest import DEV, World

DEPLOYER_SCRIPT = Path(sys.executable).parent / "deployer"


def run(world: World, *args: str, script: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **world.sandbox.env, "CODEBUILD_BUILD_ID": "churn-dev:5e1f-build"}
    command = [str(DEPLOYER_SCRIPT)] if script else [sys.executable, "-m", "deployer"]
    return subprocess.run(
        [*command, "--config-dir", str(world.config_dir), *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_deploy_dev_then_already_live_then_status_json(world: World) -> None:
    version, arn = world.add_version()

    plan = run(world, "plan", "--stage", "dev")
    assert plan.returncode == 0, plan.stderr
    assert f"candidate: v{version} {arn}" in plan.stdout
    assert "action: create (no endpoint yet)" in plan.stdout

    first = run(world, "deploy", "--stage", "dev", script=True)
    assert first.returncode == 0, first.stderr
    assert f"v{version} is live on {world.endpoint}" in first.stdout
    assert "Creating elapsed=" in first.stderr and "InService elapsed=" in first.stderr
    assert "Traceback" not in first.stderr

    second = run(world, "deploy", "--stage", "dev")
    assert second.returncode == 0, second.stderr
    assert f"already live: v{version} on {world.endpoint}" in second.stdout

    status = run(world, "status", "--output", "json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    (stage,) = report["stages"]
    assert stage["stage"] == "dev" and stage["account"] == DEV
    assert (stage["endpoint"], stage["status"], stage["live_version"]) == (world.endpoint, "InService", version)
    assert stage["model_package_arn"] == arn
    assert stage["endpoint_config"] == world.describe()["EndpointConfigName"]

    text = run(world, "status", "--stage", "dev")
    assert text.stdout.startswith(f"dev: endpoint={world.endpoint} status=InService live=v{version} config=")


def test_env_fallbacks_and_json_errors(world: World) -> None:
    env_run = subprocess.run(
        [sys.executable, "-m", "deployer", "plan"],
        env={
            **os.environ,
            **world.sandbox.env,
            "STAGE": "dev",
            "DEPLOYER_CONFIG_DIR": str(world.config_dir),
            "DEPLOYER_OUTPUT": "json",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert env_run.returncode == 3
    assert json.loads(env_run.stdout)["exit_code"] == 3
    bad = run(world, "deploy")
    assert bad.returncode == 2 and "--stage: required" in bad.stderr


def test_codebuild_flow_deploy_test_promote_with_env_fallbacks(world: World) -> None:
    """The buildspecs' commands, as CodeBuild runs them: STAGE and DEPLOYER_CONFIG_DIR from the environment."""
    staging = world.add_stage("staging")
    version, _ = world.add_version()
    env = {
        **os.environ,
        **world.sandbox.env,
        "STAGE": "dev",
        "DEPLOYER_CONFIG_DIR": str(world.config_dir),
        "CODEBUILD_BUILD_ID": "churn-dev:7a1f-build",
    }

    def deployer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DEPLOYER_SCRIPT), *args], env=env, cwd=world.root, capture_output=True, text=True, timeout=300
        )

    assert deployer("deploy").returncode == 0
    tested = deployer("test", "--junit-xml", "reports/smoke.xml")
    assert tested.returncode == 0, tested.stderr
    assert (world.root / "reports" / "smoke.xml").is_file()
    assert (world.root / "dev-config-export.json").is_file()
    promoted = deployer("promote")
    assert promoted.returncode == 0, promoted.stderr
    assert f"verified: v{version} in dev (recorded at " in promoted.stdout
    assert "promoted: event " in promoted.stdout and staging.bus_arn in promoted.stdout
    (event,) = staging.received()
    assert event["detail"]["build_id"] == "churn-dev:7a1f-build"

    help_text = deployer("--help").stdout
    for verb in ("plan", "deploy", "test", "promote", "rollback", "status", "seed-repo"):
        assert verb in help_text
    assert "6  the endpoint is locked by another rollout" in help_text


def test_status_reads_the_ledger_when_an_endpoint_is_out_of_reach(world: World) -> None:
    """The operator's view (tooling credentials, configs as Terraform renders them: target.role_arn empty)."""
    version, _ = world.add_version()
    assert run(world, "deploy", "--stage", "dev").returncode == 0
    world.write_config(target={"role_arn": ""})

    status = run(world, "--output", "json", "status")

    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    (stage,) = report["stages"]
    assert (stage["live_version"], stage["live_source"]) == (version, "ledger")
    assert stage["errors"][0].startswith(f"endpoint: {world.config_dir / 'dev.json'}: target.account_id: {DEV}")
    assert report["versions"][0]["stages"]["dev"]["live"] is True
    assert "WARNING dev: endpoint: " in status.stderr
    text = run(world, "status")
    assert f"dev: endpoint={world.endpoint} status=unknown live=v{version} (from the ledger)" in text.stdout
    # the operator's read role (OrganizationAccountAccessRole on AWS) reaches every account instead
    env_status = subprocess.run(
        [sys.executable, "-m", "deployer", "--config-dir", str(world.config_dir), "--output", "json", "status"],
        env={**os.environ, **world.sandbox.env, "DEPLOYER_READ_ROLE_NAME": "OrganizationAccountAccessRole"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert env_status.returncode == 0, env_status.stderr
    (stage,) = json.loads(env_status.stdout)["stages"]
    assert (stage["live_version"], stage["live_source"], stage["status"], stage["errors"]) == (
        version,
        "endpoint",
        "InService",
        [],
    )
    assert stage["endpoint_config"] == world.describe()["EndpointConfigName"]
    assert run(world, "status", "--read-role-name", "no/slash").returncode == 2
