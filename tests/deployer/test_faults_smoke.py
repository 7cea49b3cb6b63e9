"""Fault scenarios 26-27 and 40: the smoke tests are the release gate, so they must catch a wrong model and report
whatever a broken one says (issue 13).

Both run `deployer test` and `deployer promote` against an endpoint in the sandbox. The constant model is the
sandbox's own (`SANDBOX_CONSTANT_PREDICTION`); an error message with control characters, which the sandbox
model never sends, is injected with a before-send hook on the very runtime client the deployer uses.
"""

from __future__ import annotations

import json
import xml.dom.minidom
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from deployer.cli import main
from tests.conftest import REGION
from tests.deployer.conftest import IMAGE, Body, World, admin_client, cli, deploy_role, history, marks
from tests.support.registry import MODEL_KEY

PAYLOADS = {"csv-batch": ("payloads/batch.csv", "text/csv"), "json-instance": ("payloads/instance.json", "")}


def reference_answers(world: World, version: str) -> dict[str, list[float]]:
    """What the real model of `version` answers to each seed payload: an endpoint of its own, outside the
    deployer, serving that version (as a team records answers from the model it validated offline)."""
    name = f"{world.endpoint}-reference"
    world.dev_sm.create_model(
        ModelName=name,
        ExecutionRoleArn=world.execution_role_arn,
        PrimaryContainer={
            "Image": IMAGE,
            "ModelDataUrl": f"s3://{world.bucket}/{MODEL_KEY}",
            "Environment": {"SANDBOX_MODEL_VERSION": version, "SANDBOX_PROVISION_SECONDS": "0"},
        },
    )
    variant = {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    world.dev_sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    world.dev_sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert world.dev_sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    runtime = admin_client(world.sandbox, "sagemaker-runtime", "dev")
    answers = {}
    smoke = world.root / "tests" / "smoke"
    for case, (payload, content_type) in PAYLOADS.items():
        body = (smoke / payload).read_bytes()
        answer = runtime.invoke_endpoint(EndpointName=name, ContentType=content_type or "application/json", Body=body)
        text = answer["Body"].read().decode()
        answers[case] = json.loads(text)["predictions"] if content_type == "" else [float(x) for x in text.split()]
    return answers


def expect_answers(world: World, answers: dict[str, list[float]] | None) -> None:
    """Set each case's expected answers (None: remove them)."""
    path = world.root / "tests" / "smoke" / "cases.json"
    doc = json.loads(path.read_text())
    for case in doc["cases"]:
        if answers is None:
            case["expect"].pop("answers", None)
        else:
            tolerance = {"abs": 1e-6, "rel": 1e-3}
            case["expect"]["answers"] = {"predictions": answers[case["name"]], "tolerance": tolerance}
    path.write_text(json.dumps(doc, indent=2))


def test_26_constant_answering_model_fails_expected_answers_and_is_not_promoted(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = world.add_stage("staging")
    answers = reference_answers(world, "1")
    assert len({a for each in answers.values() for a in each}) == 4  # the real v1 answers each row its own
    world.add_version(environment={"SANDBOX_CONSTANT_PREDICTION": "0.5"})
    assert cli(world, "deploy", "--stage", "dev") == 0
    # The defect: without expected answers, ranges, row counts and the schema all pass a model that answers 0.5
    # to everything (the seed's cases carry answers since issue 26: a team that drops them is back here).
    expect_answers(world, None)
    assert cli(world, "test", "--stage", "dev", "--no-ledger") == 0

    expect_answers(world, answers)
    junit = world.root / "reports" / "smoke.xml"
    capsys.readouterr()
    assert cli(world, "test", "--stage", "dev", "--junit-xml", str(junit)) == 4

    out = capsys.readouterr().out
    assert "FAIL csv-batch: 3 of 3 answers differ from the expected ones (tolerance abs 1e-06, rel 0.001)" in out
    assert f"e.g. #1: got '0.5', expected {answers['csv-batch'][0]}" in out
    assert "FAIL json-instance: 1 of 1 answers differ" in out
    assert ET.parse(junit).getroot().get("failures") == "2"
    assert [e["result"] for e in history(world, "dev") if e["event"] == "smoke_test"] == ["failed"]
    assert cli(world, "promote", "--stage", "dev") == 4
    assert marks(world, "dev", "verified") == [] and marks(world, "dev", "promoted") == []
    assert staging.received() == []


def model_error(message: str) -> Any:
    """A before-send hook answering InvokeEndpoint as SageMaker relays a container's 500."""
    fields = {"OriginalStatusCode": 500, "OriginalMessage": message, "LogStreamArn": "arn:aws:logs:x"}
    error = {"__type": "ModelError", "message": f'Received server error (500) from primary with message "{message}"'}

    def hook(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        headers = {"x-amzn-requestid": "injected", "x-amzn-ErrorType": "ModelError", "Content-Type": "application/json"}
        return AWSResponse(request.url, 424, headers, Body(json.dumps({**error, **fields}).encode()))

    return hook


def test_27_model_error_with_control_characters_still_writes_a_well_formed_junit_report(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    sessions = world.dev.sessions()
    garbage = "Traceback\x00 \x1b[31mValueError\x1b[0m\x0b bad row\x08\ud800 ünïcode € ok"
    runtime = sessions.client("sagemaker-runtime", deploy_role("dev"), REGION)
    runtime.meta.events.register("before-send.sagemaker-runtime.InvokeEndpoint", model_error(garbage))
    junit = tmp_path / "reports" / "smoke.xml"
    capsys.readouterr()

    code = main(
        ["--config-dir", str(world.config_dir), "test", "--stage", "dev", "--junit-xml", str(junit)],
        sessions_factory=lambda *_: sessions,
    )

    assert code == 4
    xml.dom.minidom.parse(str(junit))  # expat, strict: no forbidden character got through
    cases = ET.parse(junit).getroot().findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["csv-batch", "json-instance"]
    for case in cases:
        failure = case.find("failure")
        assert failure is not None
        message = failure.get("message") or ""
        assert message.startswith("ModelError (model answered 500): Received server error (500) from primary")
        assert "Traceback\\x00 \\x1b[31mValueError\\x1b[0m\\x0b bad row\\x08\\ud800 ünïcode € ok" in message
        assert failure.text == message
    assert "FAIL csv-batch: ModelError (model answered 500)" in capsys.readouterr().out
    assert [e["result"] for e in history(world, "dev") if e["event"] == "smoke_test"] == ["failed"]


def test_40_the_seeded_smoke_cases_pass_the_sample_model_and_fail_a_constant_one(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed's cases, as every stage repo gets them, hold the sample model's expected answers: every real version
    passes them (a retrain moves scores a little, within the tolerance), a model answering a constant does not."""
    seeded = json.loads((world.root / "tests" / "smoke" / "cases.json").read_text())
    assert all("answers" in case["expect"] for case in seeded["cases"])
    for _ in range(2):  # the real model, two versions (each answers a little differently): both pass
        world.add_version()
        assert cli(world, "deploy", "--stage", "dev") == 0
        capsys.readouterr()
        assert cli(world, "test", "--stage", "dev", "--no-ledger") == 0, capsys.readouterr()

    world.add_version(environment={"SANDBOX_CONSTANT_PREDICTION": "0.5"})
    assert cli(world, "deploy", "--stage", "dev") == 0
    capsys.readouterr()
    assert cli(world, "test", "--stage", "dev") == 4
    out = capsys.readouterr().out
    assert "FAIL csv-batch: 3 of 3 answers differ from the expected ones (tolerance abs 0.02, rel 0)" in out
    assert "FAIL json-instance: 1 of 1 answers differ from the expected ones" in out
    assert [e["result"] for e in history(world, "dev") if e["event"] == "smoke_test"] == ["failed"]
    assert cli(world, "promote", "--stage", "dev") == 4
    assert marks(world, "dev", "verified") == []
