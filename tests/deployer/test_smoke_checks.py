"""Smoke tests: each check kind (parse and judge), the schema subset, p95, and which failure a case reports."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from deployer import smoke
from deployer.smoke import (
    CHECK_KINDS,
    CaseFailure,
    SmokeCase,
    p95,
    parse_expectations,
    run_case,
    validate,
)
from deployer.smoke.answer import Answer
from tests.deployer.smoke_doubles import FakeRuntime


def test_schema_subset() -> None:
    schema = {
        "type": "object",
        "required": ["predictions", "model"],
        "properties": {
            "predictions": {"type": "array", "minItems": 2, "items": {"type": "number", "minimum": 0, "maximum": 1}},
            "model": {"type": ["string", "null"], "enum": ["a", None]},
            "count": {"type": "integer"},
        },
    }
    assert validate({"predictions": [0, 0.5], "model": None, "count": 3}, schema) == []
    assert validate({"predictions": [1.5, "x", True], "count": 2.5}, schema) == [
        "$: missing required property 'model'",
        "$.predictions[0]: 1.5 is above the maximum 1",
        "$.predictions[1]: expected number, got string",
        "$.predictions[2]: expected number, got boolean",
        "$.count: expected integer, got number",
    ]
    assert validate({"predictions": [0.1], "model": "b"}, schema) == [
        "$.predictions: 1 items, expected at least 2",
        "$.model: 'b' is not one of ['a', None]",
    ]
    assert validate([1], schema) == ["$: expected object, got array"]


def test_p95_is_nearest_rank() -> None:
    assert p95([5.0]) == 5.0
    assert p95([float(n) for n in range(1, 21)]) == 19.0
    assert p95([float(n) for n in range(100, 0, -1)]) == 95.0


@pytest.mark.parametrize(
    ("answer", "expect", "reason"),
    [
        (("text/csv", b"0.1\n0.2\n"), {"rows": 3}, "expected 3 predictions, got 2"),
        (("text/csv", b"0.1\nNaN?\n"), {}, "answer line 2 holds a non-numeric value 'NaN?'"),
        (("text/csv", b"0.1\nnan\n"), {}, "1 of 2 predictions outside [None, None], e.g. nan"),
        (("text/csv", b"0.1\nNaN?\n"), {"rows": 3}, "answer line 2 holds a non-numeric value 'NaN?'"),
        (("application/json", b"<html>"), {}, "answer is not JSON"),
        (("application/json", b'{"scores": [1]}'), {"rows": 1}, "answer has no list of predictions"),
        (("application/json", b'{"predictions": []}'), {"values": {"min": 0}}, "answer holds no numeric"),
        (("text/csv", b"0.1\n"), {"schema": {"type": "object"}}, "a schema is expected but the answer"),
        (("text/csv", b"x\n"), {"schema": {"type": "object"}}, "a schema is expected but the answer"),
        (("application/json", b"[0.2, 0.3]"), {"rows": 2, "values": {"max": 0.25}}, "1 of 2 predictions outside"),
        (("application/json", b"[0.2, 0.3]"), {"rows": 3, "values": {"max": 0.25}}, "expected 3 predictions, got 2"),
    ],
)
def test_answer_checks(tmp_path: Path, answer: tuple[str, bytes], expect: dict[str, Any], reason: str) -> None:
    """The first failing check, in registry order, is the reason."""
    payload = tmp_path / "p"
    payload.write_text("1,2\n")
    case = SmokeCase("c", payload, "text/csv", answer[0], parse_expectations(expect))
    result = run_case(FakeRuntime(lambda _: answer), "churn-dev", case)
    assert not result.passed
    assert result.reason.startswith(reason)


# Per registered check kind: its `expect.<key>` config, then an answer (content type, body) or latency samples
# in milliseconds that pass, and some that fail with the given reason.
Sample = tuple[str, bytes] | list[float]
CHECK_TABLE: list[tuple[str, Any, Sample, Sample, str]] = [
    (
        "schema",
        {"type": "object", "required": ["predictions"]},
        ("application/json", b'{"predictions": [0.5]}'),
        ("application/json", b'{"scores": [0.5]}'),
        "answer does not match the schema: $: missing required property 'predictions'",
    ),
    ("rows", 2, ("text/csv", b"0.1\n0.2\n"), ("text/csv", b"0.1\n"), "expected 2 predictions, got 1"),
    ("rows", 1, ("application/json", b"[[1, 2]]"), ("application/json", b"[]"), "expected 1 predictions, got 0"),
    (
        "values",
        {"min": 0, "max": 1, "path": "scores"},
        ("application/json", b'{"scores": [0.0, 1.0]}'),
        ("application/json", b'{"scores": [0.5, 1.5]}'),
        "1 of 2 predictions outside [0.0, 1.0], e.g. 1.5",
    ),
    ("values", {"min": 0}, ("text/csv", b"0,3\n"), ("text/csv", b"1\n-1\n"), "1 of 2 predictions outside [0.0, None]"),
    (
        "answers",
        [0.25, 0.75],
        ("text/csv", b"0.25\n0.75\n"),
        ("text/csv", b"0.5\n0.5\n"),  # a model answering a constant
        "2 of 2 answers differ from the expected ones (tolerance abs 0, rel 0), e.g. #1: got '0.5', expected 0.25",
    ),
    (
        "answers",
        {"predictions": [[1, "yes"], {"p": 0.5}, None], "tolerance": {"rel": 0.01}},
        ("application/json", b'{"predictions": [[1.005, "yes"], {"p": 0.504}, null]}'),
        ("application/json", b'{"predictions": [[1.005, "no"], {"p": 0.504}, null]}'),
        "1 of 3 answers differ from the expected ones (tolerance abs 0, rel 0.01), e.g. #1: got [1.005, 'no']",
    ),
    ("answers", {"predictions": [2], "tolerance": 0.1}, ("text/csv", b"2.05\n"), ("text/csv", b"2.2\n"), "1 of 1"),
    ("answers", 1, ("application/json", b"[1]"), ("application/json", b"[true]"), "1 of 1 answers differ"),
    ("answers", "cat", ("application/json", b'["cat"]'), ("application/json", b'["cat", "dog"]'), "expected 1 answers"),
    (
        "latency",
        {"p95_ms": 50, "requests": 3},
        [10.0, 50.0, 20.0],
        [10.0, 51.0, 20.0],
        "p95 latency 51.0 ms over 3 requests exceeds the budget of 50 ms",
    ),
]


def judge(check: Any, sample: Sample) -> None:
    if isinstance(sample, list):
        check.check_latencies(sample)
    else:
        check.check_answer(Answer.parse(sample[1], sample[0], check.predictions_path or "predictions"))


def test_the_table_covers_every_registered_check_kind() -> None:
    assert {row[0] for row in CHECK_TABLE} == set(CHECK_KINDS)


@pytest.mark.parametrize(("key", "spec", "good", "bad", "reason"), CHECK_TABLE)
def test_each_check_kind_parses_and_judges(key: str, spec: Any, good: Sample, bad: Sample, reason: str) -> None:
    kind = CHECK_KINDS[key]
    check = kind.parse(spec)
    assert isinstance(check, kind)
    assert parse_expectations({key: spec}).find(kind) == check
    judge(check, good)
    with pytest.raises(CaseFailure) as failure:
        judge(check, bad)
    assert str(failure.value).startswith(reason)


def test_the_smoke_package_uses_no_other_deployer_module_but_aws_errors() -> None:
    package = Path(smoke.__file__).parent
    imported: set[str] = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] if node.module != "deployer" else [f"deployer.{a.name}" for a in node.names]
                imported.update(names)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    outside = {name for name in imported if name.split(".")[0] == "deployer" and not name.startswith("deployer.smoke")}
    assert outside == {"deployer.aws_errors"}
