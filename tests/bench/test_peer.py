"""Fast checks of figure 9's own logic (no sandbox, no Terraform): what each side's row says, when the
deployer's side fails the bench, and the report's section."""

from __future__ import annotations

import copy
from typing import Any

from bench import peer, report
from bench.run import _checks

HEALTH = "The primary container for production variant AllTraffic did not pass the ping health check."


def _seen(config: str, model: str, *, exists: bool, configs: list[str], models: list[str]) -> dict[str, Any]:
    return {
        "status": "InService",
        "config": config,
        "failure_reason": HEALTH,
        "config_exists": exists,
        "model": model,
        "model_exists": exists,
        "serves_version": "1",
        "configs": configs,
        "models": models,
    }


TERRAFORM: dict[str, Any] = {
    "status": "ran",
    "endpoint": "m-peer",
    "exit_code": 0,
    "says": ["Apply complete! Resources: 2 added, 1 changed, 2 destroyed."],
    "seen": _seen("m-peer-v1", "m-peer-v1", exists=False, configs=["m-peer-v2"], models=["m-peer-v2"]),
    "state": {
        "endpoint_config_name": "m-peer-v1",
        "holds": ["endpoint_configuration m-peer-v2", "model m-peer-v2"],
        "next_plan_exit_code": 2,
        "next_plan_says": ["Plan: 0 to add, 1 to change, 0 to destroy."],
    },
}
DEPLOYER: dict[str, Any] = {
    "status": "ran",
    "endpoint": "m-dev",
    "exit_code": 4,
    "says": [f"error: rolled back by SageMaker: {HEALTH}"],
    "seen": _seen(
        "m-dev-v1-a",
        "m-dev-v1-b",
        exists=True,
        configs=["m-dev-v1-a", "m-dev-v2-c"],
        models=["m-dev-v1-b", "m-dev-v2-d"],
    ),
    "ledger": {"event": "deployment", "result": "rolled_back", "version": 2, "reason": HEALTH},
}


def _figure(deployer: dict[str, Any]) -> dict[str, Any]:
    problems = peer.deployer_problems(deployer)
    return {
        "status": "ok",
        "fault": "v2 fails its health check",
        "versions": [1, 2],
        "rows": {peer.TERRAFORM: peer.summarize(TERRAFORM), peer.DEPLOYER: peer.summarize(deployer)},
        "deployer_ok": not problems,
        "deployer_problems": problems,
    }


def test_rows_say_what_each_side_said_serves_and_destroyed() -> None:
    tf = peer.summarize(TERRAFORM)
    assert tf["says"] == "exit 0: Apply complete! Resources: 2 added, 1 changed, 2 destroyed."
    assert tf["serves"] == "v1, InService, on config m-peer-v1 (FailureReason set)"
    assert (
        tf["left"]
        == "left: config m-peer-v2, model m-peer-v2; destroyed: config m-peer-v1 (in use), model m-peer-v1 (in use)"
    )
    assert "endpoint_config_name m-peer-v1" in tf["record"] and "next plan exit 2" in tf["record"]
    assert tf["short"] == "exit 0; serves v1, its config and model DESTROYED; state names m-peer-v1"

    dep = peer.summarize(DEPLOYER)
    assert dep["left"] == "left: config m-dev-v2-c, model m-dev-v2-d; destroyed: nothing in use"
    assert dep["record"] == "ledger: deployment v2 rolled_back"
    assert dep["short"] == "exit 4; serves v1, its config and model kept; ledger rolled_back"
    assert peer.deployer_problems(DEPLOYER) == []


def test_a_side_that_did_not_run_says_why() -> None:
    row = peer.summarize({"status": "could not run: terraform apply of v1 exited 1"})
    assert row["says"] == "could not run: terraform apply of v1 exited 1" and row["serves"] == "-"
    assert peer.deployer_problems({"status": "not available"}) == ["the deployer path did not run: not available"]


def test_only_the_deployers_side_fails_the_bench() -> None:
    assert [c["ok"] for c in _checks({"peer": _figure(DEPLOYER)}) if c["name"].startswith("peer:")] == [True]

    wrong = copy.deepcopy(DEPLOYER)
    wrong["exit_code"] = 0
    wrong["seen"].update(config_exists=False, model_exists=False)
    wrong["ledger"]["result"] = "succeeded"
    problems = peer.deployer_problems(wrong)
    assert problems == [
        "deployer deploy exited 0 on a rolled-back update",
        "the endpoint runs on a config that no longer exists (m-dev-v1-a)",
        "the endpoint's model no longer exists (m-dev-v1-b)",
        "the ledger records the rolled-back update as succeeded",
    ]
    check = next(c for c in _checks({"peer": _figure(wrong)}) if c["name"].startswith("peer:"))
    assert not check["ok"] and "exited 0" in check["detail"]


def test_terraform_verdict_keeps_the_summary_and_errors() -> None:
    out = "aws_sagemaker_endpoint.this: Modifying...\n\nApply complete! Resources: 2 added, 1 changed, 2 destroyed.\n"
    assert peer.verdict(out) == ["Apply complete! Resources: 2 added, 1 changed, 2 destroyed."]
    err = "│ Error: waiting for SageMaker AI Endpoint (x) update: unexpected state 'Failed'\n│\n╵\n"
    assert peer.verdict(err) == ["Error: waiting for SageMaker AI Endpoint (x) update: unexpected state 'Failed'"]
    assert peer.verdict("Plan: 0 to add, 1 to change, 0 to destroy.\n", peer.PLAN_SAYS) == [
        "Plan: 0 to add, 1 to change, 0 to destroy."
    ]
    assert peer.verdict("something\nelse\n") == ["something", "else"]


def test_report_renders_the_peer_figure() -> None:
    results: dict[str, Any] = {
        "meta": {
            "mode": "quick",
            "started": "2026-01-01 00:00 UTC",
            "run_seconds": 1.0,
            "cpus": 2,
            "load_average_start": [0.1],
            "load_average_end": [0.2],
            "python": "3.11",
            "boto3": "1",
            "time_scale": 0.01,
            "deployer_poll_seconds": "0.15",
            "repeats": {},
        },
        "figures": {"peer": _figure(DEPLOYER)},
        "checks": [],
    }
    text = report.render(results)
    assert "## 9. A peer, side by side" in text
    assert "| path | says | serves | left behind / destroyed | state / ledger says |" in text
    assert "Terraform: exit 0; serves v1, its config and model DESTROYED" in text
    assert "keeps what its endpoint runs on: yes." in text
    failed = report.render({**results, "figures": {"peer": {"status": "failed", "error": "boom"}}})
    assert "| 9 | a peer, side by side | failed: boom |" in failed
