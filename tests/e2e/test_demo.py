"""`make demo` end to end: its own sandbox on a free port, four accounts applied with two models (churn and fraud),
both v1s shipped to prod side by side; then churn v2 canaried to prod while fraud v2 is refused at prod's approval,
rejected and rolled back. The final `deployer status` (the fleet), the ledger (read from the sandbox the demo left
running for the test) and what the demo recorded before and after fraud's rejection prove where each version lives
and that one model's rejection never touched the other model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.slow

STAGES = ("dev", "staging", "prod")
MODELS = ("churn", "fraud")
LIVE = {"churn": {"dev": 2, "staging": 2, "prod": 2}, "fraud": {"dev": 1, "staging": 1, "prod": 1}}


@dataclass
class Run:
    out: str
    status: dict[str, Any]
    evidence: dict[str, Any]
    timings: dict[str, Any]
    history: dict[tuple[str, str], list[dict[str, Any]]]  # (model, stage) -> its ledger history, oldest first
    endpoint_configs: dict[tuple[str, str], str]  # (model, stage) -> the config its endpoint runs after the demo


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v.get("S", v.get("N")) for k, v in item.items() if "S" in v or "N" in v}
    out.update({k: {name: x.get("S", "") for name, x in v["M"].items()} for k, v in item.items() if "M" in v})
    return out


def _read_sandbox(
    env: dict[str, str],
) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], dict[tuple[str, str], str]]:
    """The ledger's history per model and stage, and each endpoint's config, through the accounts' admin roles."""
    box = json.loads(
        subprocess.run(
            [sys.executable, "-m", "sandbox", "env", "--output", "json"],
            cwd=REPO, env=env, capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip

    def session(account: str) -> boto3.Session:
        sts = boto3.client(
            "sts", endpoint_url=box["AWS_ENDPOINT_URL"], region_name=box["AWS_REGION"],
            aws_access_key_id=box["AWS_ACCESS_KEY_ID"], aws_secret_access_key=box["AWS_SECRET_ACCESS_KEY"],
        )  # fmt: skip
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="e2e-demo"
        )["Credentials"]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"], region_name=box["AWS_REGION"],
        )  # fmt: skip

    url = box["AWS_ENDPOINT_URL"]
    ddb = session(box["SANDBOX_ACCOUNT_TOOLING"]).client("dynamodb", endpoint_url=url)
    table = next(t for t in ddb.list_tables()["TableNames"] if t == "ml-ledger" or t.endswith("-ledger"))
    history: dict[tuple[str, str], list[dict[str, Any]]] = {}
    configs: dict[tuple[str, str], str] = {}
    for stage in STAGES:
        sm = session(box[f"SANDBOX_ACCOUNT_{stage.upper()}"]).client("sagemaker", endpoint_url=url)
        for model in MODELS:
            items = ddb.query(
                TableName=table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
                ExpressionAttributeValues={":pk": {"S": f"MODEL#{model}#STAGE#{stage}"}, ":h": {"S": "HISTORY#"}},
            )["Items"]
            history[model, stage] = sorted((_plain(i) for i in items), key=lambda e: str(e["sk"]))
            configs[model, stage] = sm.describe_endpoint(EndpointName=f"ml-{model}-{stage}")["EndpointConfigName"]
    return history, configs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("demo")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SANDBOX_", "DEPLOYER_", "TF_SANDBOX_"))},
        "SANDBOX_HOME": str(tmp),  # its own .sandbox/ state: never touches a sandbox the user runs
        "KEEP": "1",  # the test reads the ledger and the endpoints afterwards, then stops it
    }
    try:
        proc = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "demo.py"), "--port", str(free_port()),
             "--timings", str(tmp / "timings.json"), "--status-json", str(tmp / "status.json"),
             "--evidence", str(tmp / "evidence.json")],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=2400,
        )  # fmt: skip
        (tmp / "demo.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
        assert proc.returncode == 0, (
            f"demo failed (log {tmp / 'demo.log'}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
        )
        history, configs = _read_sandbox(env)
        (tmp / "history.json").write_text(json.dumps({f"{m}/{st}": h for (m, st), h in history.items()}, indent=1))
        yield Run(
            proc.stdout,
            json.loads((tmp / "status.json").read_text()),
            json.loads((tmp / "evidence.json").read_text()),
            json.loads((tmp / "timings.json").read_text()),
            history,
            configs,
        )
    finally:
        subprocess.run([sys.executable, "-m", "sandbox", "stop"], cwd=REPO, env=env, capture_output=True, check=False)


def _row(status: dict[str, Any], model: str, version: int) -> dict[str, Any]:
    return next(r for r in status["versions"] if r["model"] == model and r["version"] == version)


def test_status_lists_both_models_in_every_stage(demo: Run) -> None:
    models = {m["model"]: m for m in demo.status["models"]}
    assert set(models) == set(MODELS)
    for model in MODELS:
        assert models[model]["stages"] == list(STAGES)
        assert models[model]["model_package_group"].endswith(f"ml-{model}")
        assert not models[model]["errors"]
    assert {(v["model"], v["stage"]) for v in demo.status["stages"]} == {(m, s) for m in MODELS for s in STAGES}


def test_churn_serves_v2_and_fraud_serves_v1_in_every_stage(demo: Run) -> None:
    live = {(v["model"], v["stage"]): v["live_version"] for v in demo.status["stages"]}
    assert live == {(m, s): LIVE[m][s] for m in MODELS for s in STAGES}
    for view in demo.status["stages"]:
        assert view["endpoint"] == f"ml-{view['model']}-{view['stage']}"
        assert view["status"] == "InService" and view["live_source"] == "endpoint", view
        assert not view["errors"], view


def test_both_v1s_were_verified_in_every_stage_in_order(demo: Run) -> None:
    for model in MODELS:
        v1 = _row(demo.status, model, 1)
        assert v1["approval"] == "Approved"
        verified = {stage: cell["verified_at"] for stage, cell in v1["stages"].items()}
        assert all(verified.values()), (model, verified)
        assert verified["dev"] < verified["staging"] < verified["prod"], (model, verified)


def test_churn_v2_went_everywhere_and_stayed(demo: Run) -> None:
    v2 = _row(demo.status, "churn", 2)
    assert v2["approval"] == "Approved"
    for stage in STAGES:
        cell = v2["stages"][stage]
        assert cell["verified_at"] and cell["live"] and not cell["rolled_back_at"], (stage, cell)


def test_fraud_v2_was_refused_at_prod_then_rejected_and_rolled_back_where_it_went_live(demo: Run) -> None:
    v2 = _row(demo.status, "fraud", 2)
    assert v2["approval"] == "Rejected"
    for stage in ("dev", "staging"):
        cell = v2["stages"][stage]
        assert cell["verified_at"] and cell["rolled_back_at"] and not cell["live"], (stage, cell)
    prod = v2["stages"]["prod"]
    assert not prod["verified_at"] and not prod["live"] and not prod["rolled_back_at"], prod


def _versions(history: list[dict[str, Any]], event: str, results: tuple[str, ...] = ("succeeded",)) -> list[int]:
    """The versions of the entries of that event and result, oldest first, each once."""
    seen: list[int] = []
    for e in history:
        if e["event"] == event and e["result"] in results and "version" in e and int(e["version"]) not in seen:
            seen.append(int(e["version"]))
    return seen


def _rollbacks(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(from, to) of each rollback the deployer made (result rolled_back)."""
    return [
        (e.get("details", {}).get("from_version", ""), e.get("details", {}).get("to_version", ""))
        for e in history
        if e["event"] == "rollback" and e["result"] == "rolled_back"
    ]


def test_ledger_history_per_model(demo: Run) -> None:
    for stage in STAGES:
        churn, fraud = demo.history["churn", stage], demo.history["fraud", stage]
        assert churn and fraud, stage
        assert all(e["model"] == "churn" for e in churn) and all(e["model"] == "fraud" for e in fraud)
        # churn: v1 then v2 deployed and verified, never rolled back
        assert _versions(churn, "deployment") == [1, 2], (stage, churn)
        assert set(_versions(churn, "verified", ("recorded", "succeeded"))) == {1, 2}, (stage, churn)
        assert not [e for e in churn if e["event"] == "rollback"], (stage, churn)
        # fraud: v1 deployed; v2 only where it went before prod's refusal, and rolled back there to v1
        if stage == "prod":
            assert _versions(fraud, "deployment") == [1], fraud
            assert not _rollbacks(fraud), fraud  # the rollback build found v1 live: nothing to do
        else:
            assert _versions(fraud, "deployment")[:2] == [1, 2], (stage, fraud)
            assert _rollbacks(fraud) == [("2", "1")], (stage, fraud)
        # every entry a build wrote came from that model's own projects
        for model, entries in (("churn", churn), ("fraud", fraud)):
            builds = {str(e.get("build_id", "")) for e in entries} - {""}
            assert builds and all(f"ml-{model}-{stage}" in b for b in builds), (model, stage, builds)


def test_fraud_rejection_did_not_touch_churn(demo: Run) -> None:
    before, after = demo.evidence["churn_before"], demo.evidence["churn_after"]
    assert before == after
    first_fraud_rollback = min(
        str(e["at"]) for s in STAGES for e in demo.history["fraud", s] if e["event"] == "rollback"
    )
    for stage in STAGES:
        # churn's endpoint still runs the config it ran before fraud's rejection, and it is the one churn v2's
        # deployment recorded
        assert demo.endpoint_configs["churn", stage] == before[stage]["endpoint_config"]
        deployed = [
            e for e in demo.history["churn", stage] if e["event"] == "deployment" and e["result"] == "succeeded"
        ]
        assert deployed[-1]["endpoint_config"] == before[stage]["endpoint_config"]
        # and churn's ledger has nothing from the time fraud rolled back
        assert max(str(e["at"]) for e in demo.history["churn", stage]) < first_fraud_rollback, stage
    out = demo.out
    assert "ml-fraud-prod-rollback: build" in out and "started by the rejection event" in out
    assert "ml-churn-prod-rollback: build" not in out and "[churn dev/rollback]" not in out


def test_pipelines_started_from_events_and_prod_approvals_named_each_version(demo: Run) -> None:
    out = demo.out
    for model in MODELS:
        assert f"ml-{model}-dev: execution" in out
    assert "started by CloudWatchEvent" in out
    assert out.count("waiting at ManualApproval") == 4  # churn v1, v2; fraud v1, v2 (refused); no rejection waits
    for model in MODELS:
        for version in (1, 2):
            assert f'ml-{model}-prod: waiting at ManualApproval: "Deploy v{version} to prod' in out, (model, version)
            assert f"[{model} prod/plan] exported DEPLOYER_STAGE=prod, DEPLOYER_CANDIDATE_VERSION={version}," in out
    assert "[churn prod/deploy] pipeline variables: DEPLOYER_MODEL_VERSION=2" in out
    assert "[fraud prod/deploy] pipeline variables: DEPLOYER_MODEL_VERSION=1" in out
    assert "[fraud prod/deploy] pipeline variables: DEPLOYER_MODEL_VERSION=2" not in out
    assert "the demo says Rejected" in out
    assert "verified in staging at 20" in out
    assert "[fraud prod/rollback] [Container] Running command deployer rollback" in out
    assert "[churn dev/deploy] [Container] Running command deployer deploy" in out
    assert "report smoke: 2/2 passed" in out


def test_the_models_moved_side_by_side(demo: Run) -> None:
    """In steps 5 and 6 the two models' builds interleave: fraud's start before churn's end."""
    lines = demo.out.splitlines()
    for step in ("5/8", "6/8"):
        start = next(i for i, line in enumerate(lines) if f"==> {step}" in line)
        end = next(i for i, line in enumerate(lines) if f"done: {step}" in line)
        churn = [i for i in range(start, end) if "[churn " in lines[i]]
        fraud = [i for i in range(start, end) if "[fraud " in lines[i]]
        assert churn and fraud, step
        assert fraud[0] < churn[-1] and churn[0] < fraud[-1], step


def test_timings_cover_every_step(demo: Run) -> None:
    assert demo.timings["ok"] is True
    names = [step["name"] for step in demo.timings["steps"]]
    assert [n.split(" ", 1)[0] for n in names] == ["1/8", "2/8", "3/8", "3/8", "4/8", "5/8", "6/8", "7/8", "8/8"]
    assert all(step["seconds"] >= 0 for step in demo.timings["steps"])


def test_every_call_ran_under_its_own_role_and_none_was_denied(demo: Run) -> None:
    report = next(line for line in demo.out.splitlines() if "IAM report: " in line)
    assert report.rstrip().endswith(" 0 denied"), report
    assert int(report.split("IAM report: ", 1)[1].split(" ", 1)[0]) > 1000  # the whole demo went through it
