"""`make demo` end to end: its own sandbox on a free port, four accounts applied, v1 shipped to prod, v2 canaried,
refused at prod's approval, rejected and rolled back; the final `deployer status` proves where each version lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]:
    tmp = tmp_path_factory.mktemp("demo")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SANDBOX_", "DEPLOYER_"))},
        "SANDBOX_HOME": str(tmp),  # its own .sandbox/ state: never touches a sandbox the user runs
        "KEEP": "",
    }
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py"), "--port", str(free_port()),
         "--timings", str(tmp / "timings.json"), "--status-json", str(tmp / "status.json")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=2400,
    )  # fmt: skip
    (tmp / "demo.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    assert proc.returncode == 0, f"demo failed (log {tmp / 'demo.log'}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    return proc, json.loads((tmp / "status.json").read_text()), tmp


def _row(status: dict[str, Any], version: int) -> dict[str, Any]:
    return next(r for r in status["versions"] if r["version"] == version)


def test_every_stage_serves_v1_in_the_end(demo: tuple[Any, dict[str, Any], Path]) -> None:
    _, status, _ = demo
    live = {view["stage"]: view["live_version"] for view in status["stages"]}
    assert live == {"dev": 1, "staging": 1, "prod": 1}
    assert all(view["status"] == "InService" and view["live_source"] == "endpoint" for view in status["stages"])
    assert all(not view["errors"] for view in status["stages"])


def test_v1_was_verified_in_every_stage_in_order(demo: tuple[Any, dict[str, Any], Path]) -> None:
    _, status, _ = demo
    v1 = _row(status, 1)
    assert v1["approval"] == "Approved"
    verified = {stage: cell["verified_at"] for stage, cell in v1["stages"].items()}
    assert all(verified.values()), verified
    assert verified["dev"] < verified["staging"] < verified["prod"]


def test_v2_went_to_prod_on_an_approval_naming_it_and_every_stage_rolled_back_when_it_was_rejected(
    demo: tuple[Any, dict[str, Any], Path],
) -> None:
    _, status, _ = demo
    v2 = _row(status, 2)
    assert v2["approval"] == "Rejected"
    for stage in ("dev", "staging", "prod"):
        cell = v2["stages"][stage]
        assert cell["verified_at"] and cell["rolled_back_at"] and not cell["live"], (stage, cell)


def test_pipelines_started_from_events_prod_approved_the_planned_version_and_rolled_back_without_approval(
    demo: tuple[Any, dict[str, Any], Path],
) -> None:
    proc, _, _ = demo
    out = proc.stdout
    assert "ml-churn-dev: execution" in out and "started by CloudWatchEvent" in out
    assert out.count("waiting at ManualApproval") == 2  # v1 and v2; the rejection never waits there
    for version in (1, 2):
        assert f'waiting at ManualApproval: "Deploy v{version} to prod' in out
        assert f"[prod/plan] exported DEPLOYER_STAGE=prod, DEPLOYER_CANDIDATE_VERSION={version}," in out
        assert f"[prod/deploy] pipeline variables: DEPLOYER_MODEL_VERSION={version}" in out
    assert "verified in staging at 20" in out  # the approval says when staging verified it
    assert "ml-churn-prod-rollback: build" in out and "started by the rejection event" in out
    assert "[prod/rollback] [Container] Running command deployer rollback" in out
    assert "[dev/deploy] [Container] Running command deployer deploy" in out
    assert "report smoke: 2/2 passed" in out


def test_timings_cover_every_step(demo: tuple[Any, dict[str, Any], Path]) -> None:
    _, _, tmp = demo
    timings = json.loads((tmp / "timings.json").read_text())
    assert timings["ok"] is True
    names = [step["name"] for step in timings["steps"]]
    assert [n.split(" ", 1)[0] for n in names] == ["1/8", "2/8", "3/8", "3/8", "4/8", "5/8", "6/8", "7/8", "8/8"]
    assert all(step["seconds"] >= 0 for step in timings["steps"])


def test_every_call_ran_under_its_own_role_and_none_was_denied(demo: tuple[Any, dict[str, Any], Path]) -> None:
    proc, _, _ = demo
    report = next(line for line in proc.stdout.splitlines() if "IAM report: " in line)
    assert report.rstrip().endswith(" 0 denied"), report
    assert int(report.split("IAM report: ", 1)[1].split(" ", 1)[0]) > 1000  # the whole demo went through it
