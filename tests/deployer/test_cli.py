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
