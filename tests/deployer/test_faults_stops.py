"""Fault scenarios 19-21: stops and stuck locks (issue 13, item 3).

SIGTERM is sent to a real deployer process at the moment it reports that it waits for the endpoint (its own
log line), so the test needs no sleeps. A crashed run is simulated through the ledger's API: its lease and
its `started` entry, with no outcome.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from deployer import __version__
from deployer.ledger import Deployment, Outcome
from tests.deployer.conftest import World, cli, cli_json, history


def crashed_run(world: World, version: int, arn: str) -> None:
    """What a deployer killed with SIGKILL leaves: a lease that outlives it and an attempt with no outcome."""
    crashed = world.ledger(build_id="churn-dev:crashed")
    crashed.acquire_lock(world.endpoint, "churn-dev:crashed#1", 3600, stage="dev")
    crashed.record_deployment(Deployment("dev", version, arn, world.endpoint, "cfg-v2"), Outcome.STARTED, "update")


def test_19_sigterm_mid_rollout_records_the_attempt_releases_the_lease_and_a_rerun_restores_autoscaling(
    world: World,
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    world.write_config(deployment={"wait_seconds": 600, "max_execution_timeout_seconds": 14400})
    v2, _ = world.add_version()
    command = [sys.executable, "-m", "deployer", "--config-dir", str(world.config_dir), "deploy", "--stage", "dev"]
    proc = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env={**os.environ, "CODEBUILD_BUILD_ID": "churn-dev:b-19"}
    )
    assert proc.stderr is not None
    log = []
    for line in proc.stderr:
        log.append(line)
        if "waiting up to" in line:  # UpdateEndpoint was called: the endpoint is changing, autoscaling is off
            proc.send_signal(signal.SIGTERM)
            break
    log.extend(proc.stderr)
    assert proc.wait(timeout=120) == 128 + signal.SIGTERM, "".join(log)

    assert "error: stopped by SIGTERM" in "".join(log)
    attempt = [e for e in history(world, "dev") if e["event"] == "deployment" and e["version"] == str(v2)]
    assert [e["result"] for e in attempt] == ["started", "failed"]
    assert "stopped by SIGTERM (CodeBuild's stop or build timeout) while the rollout ran" in attempt[-1]["reason"]
    assert world.ledger().lock_holder(world.endpoint) is None  # released on the way out

    # The update goes on in SageMaker; the next run resumes it and puts autoscaling back.
    world.write_config(deployment={"wait_seconds": 20, "max_execution_timeout_seconds": 14400})
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert f"-v{v2}-" in world.describe()["EndpointConfigName"]
    targets = world.dev_aas.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"endpoint/{world.endpoint}/variant/AllTraffic"]
    )["ScalableTargets"]
    assert len(targets) == 1


def test_20_unlock_breaks_a_lock_left_by_a_dead_run_and_records_who_held_it_and_why(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    v1, arn1 = world.add_version()
    crashed_run(world, v1, arn1)
    assert cli(world, "deploy", "--stage", "dev") == 6  # the lease outlives the dead run
    capsys.readouterr()

    assert cli(world, "unlock", "--stage", "dev", "--reason", "build b-7 was killed; nothing is running") == 0
    assert "broke the lock on" in capsys.readouterr().out
    broken = [e for e in history(world, "dev") if e["event"] == "lock_broken"]
    assert len(broken) == 1 and broken[0]["reason"] == "build b-7 was killed; nothing is running"
    assert broken[0]["details"]["previous_owner"] == "churn-dev:crashed#1"
    assert cli(world, "deploy", "--stage", "dev") == 0

    assert cli(world, "unlock", "--stage", "dev", "--reason", "again") == 0  # nothing to break: says so
    assert "no lock on" in capsys.readouterr().out
    with pytest.raises(SystemExit) as missing:
        cli(world, "unlock", "--stage", "dev")
    assert missing.value.code == 2  # a reason is required


def test_21_status_shows_each_stages_lock_and_attempts_without_an_outcome(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    capsys.readouterr()
    v2, arn2 = world.add_version()
    crashed_run(world, v2, arn2)

    code, matrix = cli_json(world, capsys, "status", "--stage", "dev")
    assert code == 0
    view = matrix["stages"][0]
    assert view["lock"]["owner"] == "churn-dev:crashed#1" and view["lock"]["build_id"] == "churn-dev:crashed"
    assert [(a["version"], a["build_id"]) for a in view["unfinished"]] == [(v2, "churn-dev:crashed")]
    assert view["last_outcome"]["deployer_version"] == __version__  # which deployer build shipped what is live

    assert cli(world, "status", "--stage", "dev") == 0
    text = capsys.readouterr().out
    assert "dev: lock: held by churn-dev:crashed#1 (build churn-dev:crashed) until" in text
    assert f"dev: unfinished: v{v2} started" in text and "has no outcome" in text
    assert f"by deployer {__version__} (build " in text
