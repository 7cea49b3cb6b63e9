"""Smoke tests: the cases file, the answer checks, JUnit XML, the Projects-template config export, and a live run."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer.smoke import (
    CHECK_KINDS,
    CaseFailure,
    Expectations,
    LatencyCheck,
    RowsCheck,
    SchemaCheck,
    SmokeAccessDenied,
    SmokeCase,
    SmokeConfigError,
    ValuesCheck,
    load_cases,
    p95,
    parse_expectations,
    run_case,
    run_smoke_tests,
    validate,
    write_config_export,
    write_junit_xml,
)
from deployer.smoke.answer import Answer
from tests.conftest import REPO, Sandbox

SEED_SMOKE = REPO / "seed" / "tests" / "smoke"


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


class FakeRuntime:
    """A sagemaker-runtime double: answers from a function of the request, each taking `delay_ms` on `clock`."""

    def __init__(
        self,
        answer: Callable[[dict[str, Any]], tuple[str, bytes]],
        clock: FakeClock | None = None,
        delays_ms: list[float] | None = None,
    ) -> None:
        self.answer = answer
        self.clock = clock
        self.delays_ms = list(delays_ms or [])
        self.requests: list[dict[str, Any]] = []

    def invoke_endpoint(self, **kwargs: Any) -> Any:
        self.requests.append(kwargs)
        if self.clock is not None and self.delays_ms:
            self.clock.now += self.delays_ms.pop(0) / 1000.0
        content_type, body = self.answer(kwargs)
        return {
            "Body": Body(body),
            "ContentType": content_type,
            "InvokedProductionVariant": "AllTraffic",
            "CustomAttributes": "model_package_arn=arn:x;model_version=3;fleet=blue",
        }


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def good_model(request: dict[str, Any]) -> tuple[str, bytes]:
    """Answers like the sandbox model: a score in [0, 1) per row."""
    body = request["Body"].decode()
    if request["ContentType"] == "text/csv":
        rows = [line for line in body.splitlines() if line.strip()]
        return "text/csv", "".join(f"0.{i + 1}\n" for i in range(len(rows))).encode()
    data = json.loads(body)
    rows = data["instances"] if isinstance(data, dict) else data
    return "application/json", json.dumps({"predictions": [0.5] * len(rows)}).encode()


def out_of_range_model(request: dict[str, Any]) -> tuple[str, bytes]:
    content_type, body = good_model(request)
    return content_type, body.replace(b"0.5", b"7.5").replace(b"0.2", b"-3.0")


def erroring_model(request: dict[str, Any]) -> tuple[str, bytes]:
    raise ClientError(
        {
            "Error": {"Code": "ModelError", "Message": "Received server error (500) from primary"},
            "OriginalStatusCode": 500,
        },
        "InvokeEndpoint",
    )


def denied(request: dict[str, Any]) -> tuple[str, bytes]:
    raise ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform sagemaker:InvokeEndpoint"}},
        "InvokeEndpoint",
    )


# ------------------------------------------------------------------------------------------------ cases file


def test_seed_cases_load() -> None:
    cases = load_cases(SEED_SMOKE)
    assert [c.name for c in cases] == ["csv-batch", "json-instance"]
    csv_case, json_case = cases
    assert csv_case.payload == (SEED_SMOKE / "payloads" / "batch.csv").resolve()
    assert (csv_case.content_type, csv_case.accept) == ("text/csv", "text/csv")
    assert csv_case.expect.checks == (RowsCheck(3), ValuesCheck(0.0, 1.0), LatencyCheck(1000.0, 10))
    assert csv_case.expect.timed_requests == 10
    assert json_case.expect.find(SchemaCheck) is not None
    assert json_case.expect.find(RowsCheck) == RowsCheck(1)


def write_cases(tmp_path: Path, cases: Any, payloads: dict[str, str] | None = None) -> Path:
    for name, text in (payloads or {"p.csv": "1,2\n"}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    return tmp_path


BASE = {"name": "c", "payload": "p.csv", "content_type": "text/csv"}


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


# ------------------------------------------------------------------------------------------------ checks


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


def test_seed_cases_pass_against_a_well_behaved_model() -> None:
    runtime = FakeRuntime(good_model)
    report = run_smoke_tests(runtime, "churn-dev", load_cases(SEED_SMOKE))
    assert report.passed, [r.reason for r in report.results]
    assert [r.requests for r in report.results] == [11, 1]  # 1 correctness request + 10 timed
    assert report.results[0].custom_attributes == "model_package_arn=arn:x;model_version=3;fleet=blue"
    assert runtime.requests[0] == {
        "EndpointName": "churn-dev",
        "Body": (SEED_SMOKE / "payloads" / "batch.csv").read_bytes(),
        "ContentType": "text/csv",
        "Accept": "text/csv",
    }


def test_seed_cases_fail_on_out_of_range_and_erroring_models() -> None:
    cases = load_cases(SEED_SMOKE)
    report = run_smoke_tests(FakeRuntime(out_of_range_model), "churn-dev", cases)
    assert not report.passed
    assert report.results[0].reason == "1 of 3 predictions outside [0.0, 1.0], e.g. -3.0"
    assert report.results[1].reason.startswith(
        "answer does not match the schema: $.predictions[0]: 7.5 is above the maximum 1"
    )

    report = run_smoke_tests(FakeRuntime(erroring_model), "churn-dev", cases)
    assert [r.reason for r in report.failures] == [
        "ModelError (model answered 500): Received server error (500) from primary"
    ] * 2
    assert [r.requests for r in report.results] == [0, 0]


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


def test_json_predictions_at_a_custom_path(tmp_path: Path) -> None:
    payload = tmp_path / "p.json"
    payload.write_text("[[1, 2]]")
    expect = parse_expectations({"values": {"path": "scores"}, "rows": 1})
    case = SmokeCase("c", payload, "application/json", "application/json", expect)
    answer = ("application/json", b'{"scores": [{"label": 1, "score": 0.9}]}')
    assert run_case(FakeRuntime(lambda _: answer), "e", case).passed


def test_latency_budget_uses_p95_over_the_requested_count(tmp_path: Path) -> None:
    payload = tmp_path / "p.csv"
    payload.write_text("1,2\n")
    clock = FakeClock()
    # A slow first request (cold client) is not timed; then 20 requests: 18 fast, 2 slow.
    # Nearest-rank p95 of 20 is the 19th: the first slow one.
    delays = [5000.0] + [10.0] * 18 + [300.0, 900.0]
    budget = {"p95_ms": 250, "requests": 20}
    root = write_cases(tmp_path / "cases", [{**BASE, "expect": {"latency": budget}}])
    (case,) = load_cases(root)

    result = run_case(FakeRuntime(good_model, clock, list(delays)), "e", case, clock=clock)
    assert not result.passed
    assert result.reason == "p95 latency 300.0 ms over 20 requests exceeds the budget of 250 ms"
    assert result.requests == 21

    result = run_case(FakeRuntime(good_model, clock, [5000.0] + [10.0] * 19 + [900.0]), "e", case, clock=clock)
    assert result.passed, result.reason
    assert result.p95_ms == pytest.approx(10.0)


def test_access_denied_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(SmokeAccessDenied, match="access denied: sagemaker:InvokeEndpoint on endpoint churn-prod"):
        run_smoke_tests(FakeRuntime(denied), "churn-prod", load_cases(SEED_SMOKE))


# ------------------------------------------------------------------------------------------------ outputs


def test_junit_xml_for_codebuild_reports(tmp_path: Path) -> None:
    report = run_smoke_tests(FakeRuntime(out_of_range_model), "churn-dev", load_cases(SEED_SMOKE))
    path = write_junit_xml(report, tmp_path / "reports" / "smoke.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("2", "2")
    (suite,) = root.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        "smoke.churn-dev",
        "2",
        "2",
        "0",
    )
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["csv-batch", "json-instance"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "1 of 3 predictions outside [0.0, 1.0], e.g. -3.0"
    system_out = cases[0].find("system-out")
    assert system_out is not None
    assert "custom_attributes=model_package_arn=arn:x;model_version=3;fleet=blue" in (system_out.text or "")

    passing = write_junit_xml(run_smoke_tests(FakeRuntime(good_model), "churn-dev", load_cases(SEED_SMOKE)), path)
    assert ET.parse(passing).getroot().find("testsuite/testcase/failure") is None


def test_config_export_for_projects_template_scripts(tmp_path: Path) -> None:
    path = write_config_export(tmp_path, "churn", "staging", endpoint_name="churn-staging")
    assert path == tmp_path / "staging-config-export.json"
    config = json.loads(path.read_text())
    assert config == {"Parameters": {"SageMakerProjectName": "churn", "StageName": "staging"}}
    # The template's test script derives the endpoint name exactly so.
    assert "{}-{}".format(config["Parameters"]["SageMakerProjectName"], config["Parameters"]["StageName"]) == (
        "churn-staging"
    )
    with pytest.raises(SmokeConfigError, match=r"endpoint\.name 'churn-stg' is not churn-staging"):
        write_config_export(tmp_path / "other", "churn", "staging", endpoint_name="churn-stg")
    assert not (tmp_path / "other").exists()


# ------------------------------------------------------------------------------------------------ live sandbox


def deploy_endpoint(sandbox: Sandbox, name: str, environment: dict[str, str]) -> Any:
    """A serving endpoint in the dev account whose model answers as the sandbox model does (SageMaker acts as
    the `execution_role` fixture's role, which the tests using this request)."""
    client: Any = sandbox.client("sagemaker", account="dev")
    client.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::222222222222:role/churn-dev-sagemaker-execution",
        PrimaryContainer={
            "Image": "222222222222.dkr.ecr.us-east-1.amazonaws.com/churn:1",
            "ModelDataUrl": "s3://churn-artifacts/model.tar.gz",
            "Environment": {"SANDBOX_PROVISION_SECONDS": "0", "SANDBOX_MODEL_VERSION": "3", **environment},
        },
    )
    client.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    client.create_endpoint(EndpointName=name, EndpointConfigName=name)
    # Provisioning takes no simulated time, so the endpoint is InService as soon as it is looked at: no polling.
    assert client.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    return sandbox.client("sagemaker-runtime", account="dev")


@pytest.mark.usefixtures("execution_role")
def test_seed_cases_pass_against_the_sandbox_model(
    sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path
) -> None:
    endpoint = unique("churn-dev")
    runtime = deploy_endpoint(sandbox, endpoint, {})
    report = run_smoke_tests(runtime, endpoint, load_cases(SEED_SMOKE))
    assert report.passed, [r.reason for r in report.results]
    assert report.results[0].invoked_variant == "AllTraffic"
    assert "model_version=3" in report.results[0].custom_attributes
    assert ET.parse(write_junit_xml(report, tmp_path / "smoke.xml")).getroot().get("failures") == "0"


@pytest.mark.usefixtures("execution_role")
def test_seed_cases_fail_against_an_erroring_sandbox_model(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    endpoint = unique("churn-dev")
    runtime = deploy_endpoint(sandbox, endpoint, {"SANDBOX_FAULT": "model-error"})
    report = run_smoke_tests(runtime, endpoint, load_cases(SEED_SMOKE))
    assert len(report.failures) == 2
    assert all(r.reason.startswith("ModelError (model answered 500): ") for r in report.failures)


@pytest.mark.usefixtures("execution_role")
def test_slow_sandbox_model_breaks_the_latency_budget(
    sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path
) -> None:
    endpoint = unique("churn-dev")
    runtime = deploy_endpoint(sandbox, endpoint, {"SANDBOX_LATENCY_MS": "120"})
    smoke_dir = tmp_path / "smoke"
    shutil.copytree(SEED_SMOKE, smoke_dir)
    cases = json.loads((smoke_dir / "cases.json").read_text())
    cases["cases"][0]["expect"]["latency"] = {"p95_ms": 100, "requests": 3}
    (smoke_dir / "cases.json").write_text(json.dumps(cases))

    report = run_smoke_tests(runtime, endpoint, load_cases(smoke_dir))
    assert [r.passed for r in report.results] == [False, True]
    assert report.results[0].reason.startswith("p95 latency 1")
    assert report.results[0].reason.endswith("ms over 3 requests exceeds the budget of 100 ms")


def test_missing_endpoint_fails_the_case(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    runtime: Any = sandbox.client("sagemaker-runtime", account="dev")
    endpoint = unique("no-such-endpoint")
    report = run_smoke_tests(runtime, endpoint, load_cases(SEED_SMOKE)[:1])
    assert not report.passed
    assert report.results[0].reason.startswith("ValidationError: Endpoint ")
    assert "not found" in report.results[0].reason
