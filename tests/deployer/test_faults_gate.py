"""Fault scenarios 44-47: the metric gate judges a candidate's registered metrics against the live version's
before anything changes, and prod's Plan action runs the gate and the whole preflight before a human approves
(issue 22, items 1-2). Versions register `ModelMetrics.ModelQuality.Statistics`: a JSON document in the
tooling artifact bucket, in SageMaker's model-quality layout."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deployer.conftest import World, cli, cli_json, history
from tests.deployer.test_faults_approval import exports, ship

AUC = "binary_classification_metrics.auc"


def quality(auc: float) -> dict[str, Any]:
    return {"version": 0.0, "binary_classification_metrics": {"auc": {"value": auc, "standard_deviation": 0.002}}}


def gate(dry_run: bool = False, **rule: Any) -> dict[str, Any]:
    return {"dry_run": dry_run, "rules": [{"metric": AUC, "higher_is_better": True, "threshold": 0.8, **rule}]}


def gate_entries(world: World, stage: str = "dev") -> list[dict[str, Any]]:
    return [e for e in history(world, stage) if e["event"] == "metric_gate"]


def recorded_rules(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(entry["details"]["rules"]))


def live_v1(world: World, **rule: Any) -> str:
    """v1 (auc 0.91) live in dev under the gate: a first deploy, judged by the threshold only."""
    world.write_config(metric_gate=gate(**rule))
    world.add_version(metrics=quality(0.91))
    assert cli(world, "deploy", "--stage", "dev") == 0
    first = gate_entries(world)[-1]
    assert (first["result"], first["details"]["compared_with_live"]) == (
        "succeeded",
        "no live version: thresholds only",
    )
    return str(world.describe()["EndpointConfigName"])


def test_44_worse_or_equal_candidate_is_blocked_with_both_values_shown_and_recorded(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    live = live_v1(world)
    v2, _ = world.add_version(metrics=quality(0.88))
    capsys.readouterr()

    code, plan = cli_json(world, capsys, "plan", "--stage", "dev")
    assert code == 4
    assert plan["metric_gate"]["verdict"] == "block" and plan["metric_gate"]["blocks"] is True
    assert [(r["candidate"], r["live"]) for r in plan["metric_gate"]["results"]] == [(0.88, 0.91)]
    capsys.readouterr()
    assert cli(world, "deploy", "--stage", "dev") == 4
    err = capsys.readouterr().err
    assert f"metric gate blocks v{v2} on dev: {AUC}: block: candidate 0.88, live 0.91" in err
    assert world.describe()["EndpointConfigName"] == live
    entry = gate_entries(world)[-1]
    assert (entry["version"], entry["result"], entry["details"]["verdict"]) == (str(v2), "failed", "block")
    assert [(r["candidate"], r["live"], r["verdict"]) for r in recorded_rules(entry)] == [(0.88, 0.91, "block")]
    assert "higher is better, threshold >= 0.8" in recorded_rules(entry)[0]["rule"]
    assert not [e for e in history(world, "dev") if e["version"] == str(v2) and e["event"] == "deployment"]

    # An equal candidate passes "not worse", but not a minimum relative change of 1 %.
    world.write_config(metric_gate=gate(min_relative_change=0.01))
    v3, _ = world.add_version(metrics=quality(0.91))
    capsys.readouterr()
    assert cli(world, "deploy", "--stage", "dev") == 4
    assert "candidate 0.91, live 0.91: improves on live by +0, needs at least +0.0091" in capsys.readouterr().err
    assert world.describe()["EndpointConfigName"] == live
    assert gate_entries(world)[-1]["version"] == str(v3)

    code, status = cli_json(world, capsys, "status", "--stage", "dev")
    assert code == 0
    shown = status["stages"][0]["metric_gate"]
    assert (shown["version"], shown["verdict"], shown["rules"][0]["candidate"]) == (v3, "block", 0.91)


def test_45_missing_metrics_fail_or_skip_as_the_rule_says(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    live = live_v1(world)
    v2, _ = world.add_version()  # registered without ModelMetrics
    capsys.readouterr()
    assert cli(world, "deploy", "--stage", "dev") == 4
    err = capsys.readouterr().err
    assert "the candidate has no such metric (missing: fail)" in err
    assert f"v{v2} registered no ModelMetrics.ModelQuality.Statistics" in err
    assert world.describe()["EndpointConfigName"] == live

    world.write_config(metric_gate=gate(missing="skip"))
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert f"-v{v2}-" in world.describe()["EndpointConfigName"]
    entry = gate_entries(world)[-1]
    assert (entry["version"], entry["result"]) == (str(v2), "succeeded")
    assert [r["verdict"] for r in recorded_rules(entry)] == ["skip"]


def test_46_dry_run_reports_the_verdict_and_does_not_block(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    live_v1(world, dry_run=True)
    v2, _ = world.add_version(metrics=quality(0.7))  # below the threshold and worse than live
    capsys.readouterr()
    assert cli(world, "plan", "--stage", "dev") == 0
    out = capsys.readouterr().out
    assert "metric gate: block (dry run: reported, not blocking)" in out
    assert f"{AUC}: block: candidate 0.7, live 0.91: misses the threshold >= 0.8" in out
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert f"-v{v2}-" in world.describe()["EndpointConfigName"]
    entry = gate_entries(world)[-1]
    assert (entry["version"], entry["result"], entry["details"]["dry_run"]) == (str(v2), "failed", "true")


def test_47_prod_plan_fails_on_an_unsupported_instance_type_before_the_approval(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = world.add_stage("staging")
    prod = world.add_stage("prod")
    world.write_config(metric_gate=gate())
    v1, _ = world.add_version(metrics=quality(0.91), instance_types=("ml.m5.large",))
    ship(world, "dev")
    # The promotion event carries dev's gate record of the version: the verdict, the rule and both values.
    (event,) = staging.received()
    recorded = event["detail"]["metric_gate"]
    assert (recorded["version"], recorded["verdict"], recorded["rules"][0]["candidate"]) == (v1, "pass", 0.91)
    ship(world, "staging")
    prod.write_config(endpoint={"instance_type": "ml.c5.xlarge"}, metric_gate=gate())
    capsys.readouterr()

    # What prod's Plan action runs (modules/stage plan_buildspec): nothing is exported, so nobody is asked.
    assert cli(world, "plan", "--stage", "prod", "--preflight", "--exports") == 2
    captured = capsys.readouterr()
    assert "export " not in captured.out
    assert "endpoint.instance_type: ml.c5.xlarge is not supported by model package v1" in captured.err
    assert "(allowed: ml.m5.large)" in captured.err
    assert not [e for e in history(world, "prod")]  # nothing recorded, nothing changed

    prod.write_config(endpoint={"instance_type": "ml.m5.large"}, metric_gate=gate())
    assert cli(world, "plan", "--stage", "prod", "--preflight", "--exports") == 0
    facts = exports(capsys.readouterr().out)
    assert facts["DEPLOYER_CANDIDATE_VERSION"] == str(v1)
    assert facts["DEPLOYER_METRIC_GATE"] == f"pass: v{v1}: {AUC} pass (0.91 vs live -)"
