"""Smoke tests: loading and validating the cases file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deployer.smoke import (
    AnswersCheck,
    Expectations,
    LatencyCheck,
    RowsCheck,
    SchemaCheck,
    SmokeConfigError,
    ValuesCheck,
    load_cases,
)
from deployer.smoke.checks.answers import Tolerance
from tests.deployer.smoke_doubles import BASE, SEED_SMOKE, write_cases


def test_seed_cases_load() -> None:
    cases = load_cases(SEED_SMOKE)
    assert [c.name for c in cases] == ["csv-batch", "json-instance"]
    csv_case, json_case = cases
    assert csv_case.payload == (SEED_SMOKE / "payloads" / "batch.csv").resolve()
    assert (csv_case.content_type, csv_case.accept) == ("text/csv", "text/csv")
    answers = AnswersCheck((0.19, 0.651, 0.325), Tolerance(0.02, 0.0))  # the sample model's, within any version's drift
    assert csv_case.expect.checks == (RowsCheck(3), ValuesCheck(0.0, 1.0), answers, LatencyCheck(1000.0, 10))
    assert csv_case.expect.timed_requests == 10
    assert json_case.expect.find(SchemaCheck) is not None
    assert json_case.expect.find(RowsCheck) == RowsCheck(1)
    assert json_case.expect.find(AnswersCheck) == AnswersCheck((0.772,), Tolerance(0.02, 0.0))


@pytest.mark.parametrize(
    ("cases", "message"),
    [
        ([], r"cases: expected a non-empty list"),
        ([{**BASE, "name": "has space"}], r"cases\[0\]\.name: expected 1-64 characters"),
        ([{**BASE, "payload": "../outside.csv"}], r"cases\[0\]\(c\)\.payload: \.\./outside\.csv points outside"),
        ([{**BASE, "payload": "missing.csv"}], r"cases\[0\]\(c\)\.payload: file missing\.csv not found"),
        ([{**BASE, "timeout": 3}], r"cases\[0\]\(c\)\.timeout: unknown key \(allowed: accept, content_type"),
        ([{**BASE, "expect": {"rows": -1}}], r"cases\[0\]\(c\)\.expect\.rows: expected an integer >= 0"),
        (
            [{**BASE, "expect": {"values": {"min": 2, "max": 1}}}],
            r"cases\[0\]\(c\)\.expect\.values: min 2 is greater than max 1",
        ),
        (
            [{**BASE, "expect": {"latency": {"p95_ms": 0}}}],
            r"cases\[0\]\(c\)\.expect\.latency\.p95_ms: expected a number",
        ),
        (
            [{**BASE, "expect": {"latency": {"p95_ms": 5, "requests": 0}}}],
            r"cases\[0\]\(c\)\.expect\.latency\.requests: expected an integer 1-1000",
        ),
        (
            [{**BASE, "expect": {"schema": {"type": "object", "properties": {"p": {"maxLength": 3}}}}}],
            r"cases\[0\]\(c\)\.expect\.schema: \$\.properties\.p: unsupported keyword 'maxLength'",
        ),
        (
            [{**BASE, "expect": {"answers": {"predictions": [1], "tol": 1}}}],
            r"cases\[0\]\(c\)\.expect\.answers\.tol: unknown key \(allowed: predictions, tolerance\)",
        ),
        (
            [{**BASE, "expect": {"answers": {"tolerance": 1}}}],
            r"cases\[0\]\(c\)\.expect\.answers: missing key predictions \(allowed: predictions, tolerance\)",
        ),
        (
            [{**BASE, "expect": {"answers": [0.5, [1, float("nan")]]}}],
            r"cases\[0\]\(c\)\.expect\.answers\[1\]: expected a string, a number, true, false, null, a list",
        ),
        (
            [{**BASE, "expect": {"answers": {"predictions": []}}}],
            r"cases\[0\]\(c\)\.expect\.answers\.predictions: expected at least one prediction",
        ),
        (
            [{**BASE, "expect": {"answers": {"predictions": [1], "tolerance": {"abs": -1}}}}],
            r"cases\[0\]\(c\)\.expect\.answers\.tolerance\.abs: expected a number >= 0",
        ),
        (
            [{**BASE, "expect": {"answers": {"predictions": [1], "tolerance": {"absolute": 1}}}}],
            r"cases\[0\]\(c\)\.expect\.answers\.tolerance: expected a number >= 0 \(absolute\), or an object",
        ),
        ([BASE, BASE], r"cases\[1\]\.name: duplicate case name 'c'"),
    ],
)
def test_invalid_cases_name_the_file_and_field(tmp_path: Path, cases: Any, message: str) -> None:
    root = write_cases(tmp_path, cases)
    with pytest.raises(SmokeConfigError, match=rf"^{root / 'cases.json'}: {message}"):
        load_cases(root)


def test_missing_or_broken_cases_file(tmp_path: Path) -> None:
    with pytest.raises(SmokeConfigError, match=r"cases\.json: smoke-test file not found"):
        load_cases(tmp_path)
    (tmp_path / "cases.json").write_text("{not json")
    with pytest.raises(SmokeConfigError, match="not valid JSON: line 1 column 2"):
        load_cases(tmp_path)


def test_a_bare_list_of_cases_is_accepted(tmp_path: Path) -> None:
    root = write_cases(tmp_path, [{**BASE, "accept": "application/json", "target_variant": "Canary"}])
    (case,) = load_cases(root)
    # With no `expect`, the unbounded values check still applies (predictions must be finite numbers).
    assert (case.accept, case.target_variant, case.expect) == (
        "application/json",
        "Canary",
        Expectations((ValuesCheck(),)),
    )
