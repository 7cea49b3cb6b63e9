"""Smoke tests catch a wrong model: `expect.answers` fails a model that answers a constant (issue 13, item 1).

A constant in [0, 1) passes every range, row-count and schema check; only the answers known for each payload
tell it from the real model. The sandbox's model answers a pure function of (row, model version), so the
expected answers are recorded once from a correct endpoint, as a team records them from its validated model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployer.smoke import load_cases, run_smoke_tests
from tests.conftest import Sandbox
from tests.deployer.smoke_doubles import FakeRuntime, write_cases
from tests.deployer.test_smoke import deploy_endpoint

PAYLOADS = {"a.csv": "34,12,79.5,1,0\n", "b.csv": "51,48,104.2,0,1\n27,3,45.0,1,1\n"}


def cases_expecting(answers: dict[str, list[float]]) -> list[dict[str, Any]]:
    """One case per payload, with the generic checks a constant also passes, and the expected answers."""
    return [
        {
            "name": payload.removesuffix(".csv"),
            "payload": payload,
            "content_type": "text/csv",
            "expect": {
                "rows": len(expected),
                "values": {"min": 0, "max": 1},
                "answers": {"predictions": expected, "tolerance": 1e-6},
            },
        }
        for payload, expected in answers.items()
    ]


def recorded(runtime: Any, endpoint: str) -> dict[str, list[float]]:
    answers = {}
    for payload, body in PAYLOADS.items():
        answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body.encode())
        answers[payload] = [float(line) for line in answer["Body"].read().decode().splitlines()]
    return answers


def constant(value: float) -> Callable[[dict[str, Any]], tuple[str, bytes]]:
    def model(request: dict[str, Any]) -> tuple[str, bytes]:
        rows = [line for line in request["Body"].decode().splitlines() if line.strip()]
        return "text/csv", f"{value}\n".encode() * len(rows)

    return model


def test_a_constant_model_fails_through_a_runtime_double(tmp_path: Path) -> None:
    cases = load_cases(write_cases(tmp_path, cases_expecting({"a.csv": [0.2], "b.csv": [0.7, 0.4]}), PAYLOADS))
    report = run_smoke_tests(FakeRuntime(constant(0.2)), "churn-dev", cases)
    assert [r.passed for r in report.results] == [True, False]
    assert report.results[1].reason.startswith("2 of 2 answers differ from the expected ones (tolerance abs 1e-06")


@pytest.mark.usefixtures("execution_role")
def test_a_constant_sandbox_model_fails_where_the_real_one_passes(
    sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path
) -> None:
    real = unique("churn-dev")
    runtime = deploy_endpoint(sandbox, real, {})
    answers = recorded(runtime, real)
    assert len({a for each in answers.values() for a in each}) == 3  # the real model answers each row its own
    cases = load_cases(write_cases(tmp_path, cases_expecting(answers), PAYLOADS))
    assert run_smoke_tests(runtime, real, cases).passed

    # Same model version, but it answers the real model's answer to payload a, whatever it is asked.
    fake = unique("churn-dev")
    deploy_endpoint(sandbox, fake, {"SANDBOX_CONSTANT_PREDICTION": json.dumps(answers["a.csv"][0])})
    report = run_smoke_tests(runtime, fake, cases)
    assert [r.passed for r in report.results] == [True, False]
    assert report.results[1].reason.startswith("2 of 2 answers differ from the expected ones (tolerance abs 1e-06")
    assert f"got '{answers['a.csv'][0]}', expected {answers['b.csv'][0]}" in report.results[1].reason
    # Without expected answers the same constant passed every other check.
    plain = cases_expecting(answers)
    for case in plain:
        del case["expect"]["answers"]
    unchecked = load_cases(write_cases(tmp_path / "plain", plain, PAYLOADS))
    assert run_smoke_tests(runtime, fake, unchecked).passed
