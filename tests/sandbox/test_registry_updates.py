"""Registry fidelity (issue 14): AWS's "does not exist" for a missing package, an event on every update."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.testing import let_eventbridge_send
from tests.conftest import ACCOUNTS, REGION, Sandbox

TOOLING = ACCOUNTS["tooling"]
SPEC = {"Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/m:1", "ModelDataUrl": "s3://b/m.tar.gz"}]}
# The modules' registry rules (modules/registry/events.tf, modules/stage/events.tf; their tftests pin it).
APPROVAL_CHANGE = [
    {"UpdatedModelPackageFields": ["ModelApprovalStatus"]},
    {"UpdatedModelPackageFields": [{"exists": False}]},
]


def _events_to_queue(sandbox: Sandbox, unique: Callable[[str], str], detail: dict[str, Any]) -> tuple[Any, str]:
    """A default-bus rule of the tooling account matching `detail`, delivering to a queue."""
    sqs: Any = sandbox.client("sqs")
    events: Any = sandbox.client("events")
    url = sqs.create_queue(QueueName=unique("registry-events"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    let_eventbridge_send(sqs, url, arn)
    rule = unique("registry-rule")
    pattern = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"], "detail": detail}
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
    return sqs, str(url)


def _details(sqs: Any, url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"])["detail"] for m in answer.get("Messages", [])]


def test_a_missing_package_does_not_exist_as_aws_says(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("gone-grp")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=SPEC)["ModelPackageArn"]
    sm.delete_model_package(ModelPackageName=arn)
    for call, kwargs in (
        (sm.describe_model_package, {"ModelPackageName": arn}),
        (sm.update_model_package, {"ModelPackageArn": arn, "ModelApprovalStatus": "Approved"}),
        (sm.delete_model_package, {"ModelPackageName": arn}),
    ):
        with pytest.raises(ClientError) as exc:
            call(**kwargs)
        error = exc.value.response["Error"]
        assert (error["Code"], error["Message"]) == ("ValidationException", f"ModelPackage {arn} does not exist.")
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:
        sm.describe_model_package(ModelPackageName="No-Such-Package")
    expected = f"ModelPackage arn:aws:sagemaker:{REGION}:{TOOLING}:model-package/no-such-package does not exist."
    assert exc.value.response["Error"]["Message"] == expected


def test_every_update_puts_an_event_naming_the_updated_fields(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    group = unique("any-update-grp")
    sqs, url = _events_to_queue(sandbox, unique, {"ModelPackageGroupName": [group]})
    sm: Any = sandbox.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="Approved"
    )["ModelPackageArn"]
    [created] = _details(sqs, url)
    assert "UpdatedModelPackageFields" not in created

    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"deployer:live:dev": "true"})
    [metadata] = _details(sqs, url)
    assert metadata["UpdatedModelPackageFields"] == ["CustomerMetadataProperties"]
    assert metadata["ModelApprovalStatus"] == "Approved"  # the current status, not a change
    assert metadata["CustomerMetadataProperties"] == {"deployer:live:dev": "true"}

    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataPropertiesToRemove=["deployer:live:dev"])
    sm.update_model_package(ModelPackageArn=arn, ApprovalDescription="reviewed")
    fields = [d["UpdatedModelPackageFields"] for d in _details(sqs, url)]
    assert sorted(fields) == [["ApprovalDescription"], ["CustomerMetadataProperties"]]


def test_the_modules_pattern_fires_on_approvals_only(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    group = unique("approval-only-grp")
    detail = {"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved"], "$or": APPROVAL_CHANGE}
    sqs, url = _events_to_queue(sandbox, unique, detail)
    sm: Any = sandbox.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    first = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="Approved"
    )["ModelPackageArn"]
    second = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=SPEC)["ModelPackageArn"]
    assert [d["ModelPackageArn"] for d in _details(sqs, url)] == [first]  # created Approved

    sm.update_model_package(ModelPackageArn=first, CustomerMetadataProperties={"deployer:verified:dev": "t"})
    sm.update_model_package(ModelPackageArn=first, ApprovalDescription="still fine")
    assert _details(sqs, url) == []

    sm.update_model_package(ModelPackageArn=second, ModelApprovalStatus="Approved", ApprovalDescription="ok")
    [approved] = _details(sqs, url)
    assert approved["ModelPackageArn"] == second
    assert approved["UpdatedModelPackageFields"] == ["ModelApprovalStatus", "ApprovalDescription"]
