"""Validator of `metric_gate`: the rules that compare a candidate's registered metrics with the live version's.

Optional: absent (or no rules) means no gate. Each rule names a metric of SageMaker's model-quality statistics
document (`binary_classification_metrics.auc`), its direction, an absolute threshold, and the minimum absolute
and relative improvement over the live version; `missing` says what a metric that is not there does.
"""

from __future__ import annotations

import math
import re
from typing import Any

from deployer.config.checker import Checker, shown
from deployer.config.settings import MetricGateSettings, MetricRule

GATE_KEYS = ("dry_run", "rules")
RULE_KEYS = ("metric", "higher_is_better", "threshold", "min_absolute_change", "min_relative_change", "missing")
MISSING_CHOICES = ("fail", "skip")
# A dotted path of JSON object keys: <problem type>_metrics.<metric> in the model-quality layout.
METRIC_PATH = re.compile(r"^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$")
METRIC_ALLOWED = "a dotted path of 1-8 keys of A-Z a-z 0-9 _ - such as binary_classification_metrics.auc"
MAX_RULES = 20


def metric_gate_settings(data: dict[str, Any], c: Checker) -> MetricGateSettings:
    if data.get("metric_gate") is None:
        return MetricGateSettings()
    gate = c.section(data, "metric_gate", GATE_KEYS)
    if gate is None:
        return MetricGateSettings()
    dry_run = c.boolean(gate, "metric_gate.dry_run") if "dry_run" in gate else False
    rules_value = gate.get("rules", [])
    if not isinstance(rules_value, list) or len(rules_value) > MAX_RULES:
        found = f"{len(rules_value)} rules" if isinstance(rules_value, list) else f"{shown(rules_value)} is not a list"
        allowed = f"a list of at most {MAX_RULES} rules, each an object with {', '.join(RULE_KEYS)}"
        c.add("metric_gate.rules", found, allowed)
        return MetricGateSettings(dry_run=dry_run)
    rules = tuple(_rule(value, f"metric_gate.rules[{i}]", c) for i, value in enumerate(rules_value))
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.metric and rule.metric in seen:  # one source of truth per metric: two rules would disagree
            c.add(f"metric_gate.rules[{i}].metric", f"{rule.metric!r} has another rule", "each metric once")
        seen.add(rule.metric)
    return MetricGateSettings(rules=rules, dry_run=dry_run)


def _rule(value: Any, path: str, c: Checker) -> MetricRule:
    if not isinstance(value, dict):
        c.add(path, f"{shown(value)} is not an object", f"an object with {', '.join(RULE_KEYS)}")
        return MetricRule("", True)
    for extra in sorted(set(value) - set(RULE_KEYS)):
        c.add(f"{path}.{extra}", "unknown key", ", ".join(RULE_KEYS))
    metric = c.string(value, f"{path}.metric", METRIC_PATH, METRIC_ALLOWED)
    higher = c.boolean(value, f"{path}.higher_is_better")
    threshold = None
    if value.get("threshold") is not None:
        threshold = _finite(value, f"{path}.threshold", c, "a finite number, or null for none")
    return MetricRule(
        metric=metric,
        higher_is_better=higher,
        threshold=threshold,
        min_absolute_change=_finite(
            value, f"{path}.min_absolute_change", c, "a finite number >= 0 (0 = not worse than live), default 0", low=0
        ),
        min_relative_change=_finite(
            value,
            f"{path}.min_relative_change",
            c,
            "a finite number >= 0, a fraction of |live| (0.01 = 1 %), default 0",
            low=0,
        ),
        missing=c.choice(value, f"{path}.missing", MISSING_CHOICES) if "missing" in value else "fail",
    )


def _finite(data: dict[str, Any], path: str, c: Checker, allowed: str, *, low: float | None = None) -> float:
    """A finite JSON number, at least `low` when given (absent: 0); booleans, NaN and infinities fail."""
    key = path.rsplit(".", 1)[-1]
    if key not in data:
        return 0.0
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        c.add(path, f"{shown(value)} is not a finite number", allowed)
        return 0.0
    if low is not None and value < low:
        c.add(path, f"{value!r} is out of range", allowed)
        return 0.0
    return float(value)
