"""Contract test: every raw response of the calls the deployer, modules, scripts and buildspecs make must fit
botocore's model of that operation (members, types, enums, lengths, patterns, no nulls, the protocol's
content type), errors included. The table of operations and mismatches prints at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterator

import botocore.session
import pytest

from sandbox.harness import TOOLING, Sandbox
from tests.sandbox.contract import calls_platform as platform
from tests.sandbox.contract import calls_sagemaker as sagemaker
from tests.sandbox.contract import calls_services as services
from tests.sandbox.contract.calls_sagemaker import Unique
from tests.sandbox.contract.recorder import Recorder
from tests.sandbox.contract.shapes import check

MIN_OPERATIONS = 50


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    print("\n" + rec.table())


def fits(rec: Recorder, service: str) -> None:
    found = [f"{k}: {m}" for k, ms in rec.mismatches.items() if k.startswith(f"{service}:") for m in ms]
    assert not found, "\n".join(found)


def test_sagemaker_registry_hosting_runtime(
    sandbox: Sandbox, recorder: Recorder, unique: Unique, execution_role: str
) -> None:
    package = sagemaker.registry(sandbox, recorder, unique)
    endpoint = sagemaker.hosting(sandbox, recorder, unique, package, execution_role)
    sagemaker.runtime(sandbox, recorder, unique, endpoint)
    sagemaker.shadow(sandbox, recorder, unique, endpoint)
    platform.autoscaling(sandbox, recorder, endpoint)
    sagemaker.teardown(sandbox, recorder, unique, endpoint)
    for service in ("sagemaker", "sagemaker-runtime", "application-autoscaling"):
        fits(recorder, service)


@pytest.mark.parametrize(
    "drive,service",
    [
        (platform.cloudwatch, "cloudwatch"),
        (platform.dynamodb, "dynamodb"),
        (platform.events, "events"),
        (services.kms, "kms"),
        (services.s3, "s3"),
        (services.codecommit, "codecommit"),
        (services.codepipeline, "codepipeline"),
        (services.logs, "logs"),
    ],
)
def test_platform_service(sandbox: Sandbox, recorder: Recorder, unique: Unique, drive: object, service: str) -> None:
    drive(sandbox, recorder, unique)  # type: ignore[operator]
    fits(recorder, service)


def test_identity_and_builds(sandbox: Sandbox, recorder: Recorder, unique: Unique, execution_role: str) -> None:
    services.identity(sandbox, recorder, unique, execution_role)
    sandbox.ensure_admin_role("tooling", "contract-codebuild")  # CodeBuild takes a role of its own account
    services.codebuild(sandbox, recorder, unique, f"arn:aws:iam::{TOOLING}:role/contract-codebuild")
    for service in ("sts", "iam", "codebuild"):
        fits(recorder, service)


def test_totals(recorder: Recorder) -> None:
    """Runs last: the whole table, at least MIN_OPERATIONS distinct operations, and no mismatch anywhere."""
    print("\n" + recorder.table())
    assert len(recorder.responses) >= MIN_OPERATIONS, recorder.table()
    assert not any(recorder.mismatches.values()), recorder.table()


def test_validator_reports_each_kind_of_mismatch() -> None:
    """The checker itself: a null, an unknown member, a missing required one, a bad enum, a wrong type."""
    model = botocore.session.get_session().get_service_model("sagemaker").operation_model("DescribeEndpoint")
    answer = {"EndpointName": "e", "EndpointArn": None, "EndpointStatus": "Sleeping", "Extra": 1, "CreationTime": "x"}
    problems = check(model.output_shape, answer, "")
    assert ".EndpointArn: null where the model has a string" in problems
    assert ".Extra: not a member of DescribeEndpointOutput" in problems
    assert ".LastModifiedTime: required member missing" in problems
    assert any(p.startswith(".EndpointStatus: 'Sleeping' is not one of") for p in problems)
    assert ".CreationTime: 'x' is not an epoch timestamp" in problems
