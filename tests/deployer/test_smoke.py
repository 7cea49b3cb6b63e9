"""Smoke tests: runs through a runtime double, JUnit XML, the Projects-template config export, and live runs."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployer.smoke import (
    SmokeAccessDenied,
    SmokeCase,
    SmokeConfigError,
    load_cases,
    parse_expectations,
    run_case,
    run_smoke_tests,
    write_config_export,
    write_junit_xml,
)
from tests.conftest import Sandbox
from tests.deployer.smoke_doubles import (
    BASE,
    SEED_SMOKE,
    FakeClock,
    FakeRuntime,
    denied,
    erroring_model,
    good_model,
    out_of_range_model,
    write_cases,
)

# ------------------------------------------------------------------------------------------------ runs


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
