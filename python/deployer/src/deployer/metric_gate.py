"""The metric gate: a candidate's registered model-quality metrics against the live version's, rule by rule.

Pure: `evaluate` takes the rules and both metric documents (already read, see `read_package_metrics`) and
returns a `GateDecision` holding every rule's values and verdict. Reading is the registry side: the model
package's `ModelMetrics.ModelQuality.Statistics` (an `application/json` document on S3, SageMaker's
model-quality statistics layout `{"binary_classification_metrics": {"auc": {"value": 0.91, ...}}}`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from deployer.config import MetricGateSettings, MetricRule

PASS, BLOCK, SKIP = "pass", "block", "skip"
METRICS_SOURCE = "ModelMetrics.ModelQuality.Statistics"
# 0.92 - 0.91 is 0.0099999...: a change that is exactly the minimum in decimal passes.
ROUNDING = 1e-9


@dataclass(frozen=True)
class PackageMetrics:
    """One version's metrics document: where it is and what it holds (None: no such document registered)."""

    version: int
    model_package_arn: str
    s3_uri: str = ""
    document: dict[str, Any] | None = None
    problem: str = ""  # why there is no document, e.g. "no ModelMetrics.ModelQuality.Statistics"


@dataclass(frozen=True)
class RuleResult:
    metric: str
    rule: str  # the rule as one line: direction, threshold, minimum changes, missing
    candidate: float | None
    live: float | None
    verdict: str  # pass, block or skip
    reason: str

    def line(self) -> str:
        live = "-" if self.live is None else f"{self.live:g}"
        cand = "-" if self.candidate is None else f"{self.candidate:g}"
        return f"{self.metric}: {self.verdict}: candidate {cand}, live {live}: {self.reason} [{self.rule}]"


@dataclass(frozen=True)
class GateDecision:
    """The verdict over all rules. `blocks` is what the deploy obeys: never in dry-run mode."""

    candidate_version: int
    live_version: int | None
    verdict: str  # pass or block (what the rules say, also in dry-run mode)
    dry_run: bool
    results: tuple[RuleResult, ...] = field(default_factory=tuple)
    compared_with_live: str = ""  # why live was (not) compared: "first deploy", "live v2 is Rejected", ...

    @property
    def blocks(self) -> bool:
        return self.verdict == BLOCK and not self.dry_run

    def summary(self) -> str:
        """One line for logs, the approval text and the ledger's reason."""
        mode = " (dry run: not blocking)" if self.dry_run else ""
        shown = "; ".join(f"{r.metric} {r.verdict} ({_num(r.candidate)} vs live {_num(r.live)})" for r in self.results)
        return f"{self.verdict}{mode}: v{self.candidate_version}: {shown}"

    def lines(self) -> list[str]:
        head = f"metric gate: {self.verdict}" + (" (dry run: reported, not blocking)" if self.dry_run else "")
        live = f"v{self.live_version}" if self.live_version is not None else "none"
        lines = [f"{head}: candidate v{self.candidate_version} against live {live} ({self.compared_with_live})"]
        return lines + [f"metric gate: {r.line()}" for r in self.results]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["results"] = [asdict(r) for r in self.results]
        data["blocks"] = self.blocks
        return data

    def details(self) -> dict[str, str]:
        """What the ledger keeps (a map of strings): the verdict, the mode and every rule with both values."""
        details = {
            "verdict": self.verdict,
            "dry_run": str(self.dry_run).lower(),
            "compared_with_live": self.compared_with_live,
            "rules": json.dumps([asdict(r) for r in self.results], sort_keys=True),
        }
        if self.live_version is not None:
            details["live_version"] = str(self.live_version)
        return details


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def metric_value(document: dict[str, Any] | None, path: str) -> float | None:
    """The number at `path`: a `{"value": x, ...}` object (SageMaker's layout) or a bare number; else None."""
    node: Any = document
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, dict):
        node = node.get("value")
    if isinstance(node, bool) or not isinstance(node, (int, float)) or not math.isfinite(node):
        return None
    return float(node)


def describe_rule(rule: MetricRule) -> str:
    sign = ">=" if rule.higher_is_better else "<="
    parts = ["higher is better" if rule.higher_is_better else "lower is better"]
    if rule.threshold is not None:
        parts.append(f"threshold {sign} {rule.threshold:g}")
    parts.append(f"min change {rule.min_absolute_change:+g} and {rule.min_relative_change:+.2%} of live")
    parts.append(f"missing: {rule.missing}")
    return ", ".join(parts)


def evaluate_rule(rule: MetricRule, candidate: float | None, live: float | None, *, compare: bool) -> RuleResult:
    """One rule: the threshold on the candidate; with `compare`, the improvement over live. A value that is
    missing fails the rule, or with `missing: skip` leaves out the check that needs it."""
    text = describe_rule(rule)

    def result(verdict: str, reason: str) -> RuleResult:
        return RuleResult(rule.metric, text, candidate, live, verdict, reason)

    if candidate is None:
        if rule.missing == "skip":
            return result(SKIP, "the candidate has no such metric (missing: skip)")
        return result(BLOCK, "the candidate has no such metric (missing: fail)")
    better = 1.0 if rule.higher_is_better else -1.0
    if rule.threshold is not None and better * (candidate - rule.threshold) < 0:
        return result(BLOCK, f"misses the threshold {'>=' if better > 0 else '<='} {rule.threshold:g}")
    if not compare:
        return result(PASS, "threshold only" if rule.threshold is not None else "nothing to compare with")
    if live is None:
        if rule.missing == "skip":
            return result(PASS, "the live version has no such metric (missing: skip): threshold only")
        return result(BLOCK, "the live version has no such metric (missing: fail)")
    gain = better * (candidate - live)  # > 0: the candidate is better
    need = max(rule.min_absolute_change, rule.min_relative_change * abs(live))
    if gain < need - ROUNDING * max(1.0, abs(live)):
        return result(BLOCK, f"improves on live by {gain:+g}, needs at least {need:+g}")
    return result(PASS, f"improves on live by {gain:+g} (needs {need:+g})")


def evaluate(
    settings: MetricGateSettings,
    candidate: PackageMetrics,
    live: PackageMetrics | None,
    *,
    compared_with_live: str,
) -> GateDecision:
    """Every rule against the candidate and, when `live` is given, the live version; block if any rule blocks."""
    results = tuple(
        _noted(
            evaluate_rule(
                rule,
                metric_value(candidate.document, rule.metric),
                metric_value(live.document, rule.metric) if live is not None else None,
                compare=live is not None,
            ),
            candidate,
            live,
        )
        for rule in settings.rules
    )
    verdict = BLOCK if any(r.verdict == BLOCK for r in results) else PASS
    return GateDecision(
        candidate_version=candidate.version,
        live_version=live.version if live is not None else None,
        verdict=verdict,
        dry_run=settings.dry_run,
        results=results,
        compared_with_live=compared_with_live,
    )


def _noted(result: RuleResult, candidate: PackageMetrics, live: PackageMetrics | None) -> RuleResult:
    """Say why a value is missing when the whole document is (not registered, not JSON, not there)."""
    notes = [m.problem for m, value in ((candidate, result.candidate), (live, result.live)) if m and value is None]
    notes = [n for n in notes if n]
    if not notes:
        return result
    return replace(result, reason=f"{result.reason}; {'; '.join(notes)}")
