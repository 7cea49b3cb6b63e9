"""The metric gate's rules (pure evaluation) and the `metric_gate` config section (validation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deployer.config import MetricGateSettings, MetricRule, load_stage_config
from deployer.metric_gate import BLOCK, PASS, SKIP, PackageMetrics, evaluate, evaluate_rule, metric_value
from tests.deployer.test_config import base_doc, problems, write

AUC = "binary_classification_metrics.auc"


def stats(auc: float | None = None, **more: Any) -> dict[str, Any]:
    """SageMaker's model-quality statistics layout."""
    metrics: dict[str, Any] = {k: {"value": v, "standard_deviation": 0.01} for k, v in more.items()}
    if auc is not None:
        metrics["auc"] = {"value": auc, "standard_deviation": 0.002}
    return {"version": 0.0, "binary_classification_metrics": metrics}


def rule(**keys: Any) -> MetricRule:
    return MetricRule(**{"metric": AUC, "higher_is_better": True, **keys})


def test_metric_value_reads_the_statistics_layout_and_bare_numbers() -> None:
    assert metric_value(stats(0.91), AUC) == 0.91
    assert metric_value({"a": {"b": 3}}, "a.b") == 3.0
    assert metric_value(stats(0.91), "binary_classification_metrics.f1") is None
    assert metric_value({"a": {"b": True}}, "a.b") is None  # a boolean is not a metric
    assert metric_value({"a": {"b": "0.9"}}, "a.b") is None
    assert metric_value(None, AUC) is None


# (rule, candidate, live, compare, verdict, part of the reason)
CASES = [
    (rule(), 0.90, 0.91, True, BLOCK, "improves on live by -0.01"),
    (rule(), 0.91, 0.91, True, PASS, "improves on live by +0"),
    (rule(min_relative_change=0.01), 0.91, 0.91, True, BLOCK, "needs at least +0.0091"),
    (rule(min_absolute_change=0.02), 0.92, 0.91, True, BLOCK, "needs at least +0.02"),
    (rule(min_absolute_change=0.01), 0.92, 0.91, True, PASS, "improves on live by +0.01"),
    (rule(threshold=0.8), 0.79, None, False, BLOCK, "misses the threshold >= 0.8"),
    (rule(threshold=0.8), 0.85, None, False, PASS, "threshold only"),
    (rule(higher_is_better=False, threshold=0.3), 0.31, None, False, BLOCK, "misses the threshold <= 0.3"),
    (rule(higher_is_better=False), 0.20, 0.25, True, PASS, "improves on live by +0.05"),
    (rule(higher_is_better=False), 0.30, 0.25, True, BLOCK, "improves on live by -0.05"),
    (rule(), None, 0.91, True, BLOCK, "the candidate has no such metric (missing: fail)"),
    (rule(missing="skip"), None, 0.91, True, SKIP, "missing: skip"),
    (rule(), 0.95, None, True, BLOCK, "the live version has no such metric (missing: fail)"),
    (rule(missing="skip", threshold=0.9), 0.95, None, True, PASS, "threshold only"),
]


@pytest.mark.parametrize(("the_rule", "candidate", "live", "compare", "verdict", "reason"), CASES)
def test_rule(
    the_rule: MetricRule, candidate: float | None, live: float | None, compare: bool, verdict: str, reason: str
) -> None:
    result = evaluate_rule(the_rule, candidate, live, compare=compare)
    assert (result.verdict, result.candidate, result.live) == (verdict, candidate, live)
    assert reason in result.reason


def test_any_blocking_rule_blocks_and_dry_run_only_reports() -> None:
    rules = (rule(), MetricRule("binary_classification_metrics.recall", True, threshold=0.5))
    candidate = PackageMetrics(3, "arn:c", "s3://b/c.json", stats(0.93, recall=0.4))
    live = PackageMetrics(2, "arn:l", "s3://b/l.json", stats(0.91, recall=0.6))
    decision = evaluate(MetricGateSettings(rules), candidate, live, compared_with_live="live v2")
    assert (decision.verdict, decision.blocks, [r.verdict for r in decision.results]) == (BLOCK, True, [PASS, BLOCK])
    dry = evaluate(MetricGateSettings(rules, dry_run=True), candidate, live, compared_with_live="live v2")
    assert (dry.verdict, dry.blocks) == (BLOCK, False)
    assert "dry run" in dry.summary() and "0.93 vs live 0.91" in dry.summary()
    details = dry.details()
    assert details["verdict"] == "block" and details["dry_run"] == "true" and details["live_version"] == "2"
    recorded = json.loads(details["rules"])
    assert [(r["metric"], r["candidate"], r["live"], r["verdict"]) for r in recorded] == [
        (AUC, 0.93, 0.91, PASS),
        ("binary_classification_metrics.recall", 0.4, 0.6, BLOCK),
    ]


def test_first_deploy_only_thresholds_apply() -> None:
    candidate = PackageMetrics(1, "arn:c", "s3://b/c.json", stats(0.85))
    decision = evaluate(
        MetricGateSettings((rule(threshold=0.8, min_relative_change=0.5),)), candidate, None, compared_with_live="-"
    )
    assert decision.verdict == PASS and decision.live_version is None and "live_version" not in decision.details()


def test_a_missing_document_says_why() -> None:
    candidate = PackageMetrics(3, "arn:c", problem="v3 registered no ModelMetrics.ModelQuality.Statistics")
    decision = evaluate(MetricGateSettings((rule(),)), candidate, None, compared_with_live="-")
    assert decision.verdict == BLOCK
    assert "registered no ModelMetrics.ModelQuality.Statistics" in decision.results[0].reason


# -- config ------------------------------------------------------------------------------------------------------------


def with_gate(gate: Any) -> dict[str, Any]:
    return {**base_doc(), "metric_gate": gate}


def test_gate_is_read(tmp_path: Path) -> None:
    gate = {
        "dry_run": True,
        "rules": [
            {"metric": AUC, "higher_is_better": True, "threshold": 0.8, "min_relative_change": 0.01},
            {"metric": "regression_metrics.rmse", "higher_is_better": False, "missing": "skip"},
        ],
    }
    config = load_stage_config(write(tmp_path, with_gate(gate)), "dev")
    assert config.metric_gate == MetricGateSettings(
        (
            MetricRule(AUC, True, threshold=0.8, min_relative_change=0.01),
            MetricRule("regression_metrics.rmse", False, missing="skip"),
        ),
        dry_run=True,
    )


def test_absent_gate_means_no_rules(tmp_path: Path) -> None:
    assert load_stage_config(write(tmp_path, base_doc()), "dev").metric_gate == MetricGateSettings()


RULE = {"metric": AUC, "higher_is_better": True}
# (metric_gate, the problem, which names file, field and the allowed values)
BAD = [
    ("on", "metric_gate: is str (allowed: an object with dry_run, rules)"),
    ({"rules": {}}, "metric_gate.rules: {} is not a list (allowed: a list of at most 20 rules"),
    ({"rules": [RULE], "dryrun": True}, "metric_gate.dryrun: unknown key (allowed: dry_run, rules)"),
    ({"rules": [RULE], "dry_run": "yes"}, "metric_gate.dry_run: 'yes' is not a boolean (allowed: true, false)"),
    ({"rules": [{"higher_is_better": True}]}, "metric_gate.rules[0].metric: missing (allowed: a dotted path"),
    ({"rules": [{**RULE, "metric": "a..b"}]}, "metric_gate.rules[0].metric: 'a..b' is invalid (allowed: a dotted"),
    ({"rules": [{"metric": AUC}]}, "metric_gate.rules[0].higher_is_better: missing (allowed: true, false)"),
    (
        {"rules": [{**RULE, "missing": "ignore"}]},
        "metric_gate.rules[0].missing: 'ignore' is not allowed (allowed: fail, skip)",
    ),
    ({"rules": [{**RULE, "threshold": "0.8"}]}, "metric_gate.rules[0].threshold: '0.8' is not a finite number"),
    ({"rules": [{**RULE, "min_relative_change": True}]}, "metric_gate.rules[0].min_relative_change: true is not a"),
    ({"rules": [{**RULE, "min_absolute_change": float("nan")}]}, "min_absolute_change: NaN is not a finite number"),
    ({"rules": [{**RULE, "direction": "up"}]}, "metric_gate.rules[0].direction: unknown key (allowed: metric, higher"),
    ({"rules": [{**RULE, "min_absolute_change": -0.1}]}, "min_absolute_change: -0.1 is out of range (allowed: a"),
    ({"rules": [RULE, RULE]}, f"metric_gate.rules[1].metric: '{AUC}' has another rule (allowed: each metric once)"),
]


@pytest.mark.parametrize(("gate", "problem"), BAD)
def test_bad_gate_names_file_field_and_allowed(tmp_path: Path, gate: Any, problem: str) -> None:
    found = problems(tmp_path, with_gate(gate))
    assert any(p.startswith(str(tmp_path)) and problem in p for p in found), found
