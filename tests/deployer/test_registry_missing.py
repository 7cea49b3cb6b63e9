"""The deployer against AWS's registry answers: a deleted version, and its own marks putting events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from deployer.config.settings import RegistrySettings
from deployer.errors import InputError
from deployer.registry import NewestApproved, RegistryReader, resolve_candidate
from deployer.registry_marks import RegistryMarks
from sandbox.testing import let_eventbridge_send
from tests.conftest import ACCOUNTS, REGION, Sandbox
from tests.sandbox.test_registry_updates import APPROVAL_CHANGE, SPEC


def _reader(sandbox: Sandbox, group: str) -> RegistryReader:
    settings = RegistrySettings(model_package_group=group, account_id=ACCOUNTS["tooling"], region=REGION, role_arn="")
    return RegistryReader(sandbox.client("sagemaker"), settings, ACCOUNTS["tooling"], "")


def test_a_deleted_version_reads_as_missing(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    sm: Any = sandbox.client("sagemaker")
    group = unique("deleted-grp")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="Approved"
    )["ModelPackageArn"]
    sm.delete_model_package(ModelPackageName=arn)
    reader = _reader(sandbox, group)
    assert reader.describe(arn) is None  # AWS's "ModelPackage <arn> does not exist." is "not found"
    assert reader.status_of(arn) == ""
    with pytest.raises(InputError, match=f"--model-version 1: no such version in model package group {group}"):
        resolve_candidate(reader, NewestApproved(), pinned=1)


def test_the_deployers_marks_never_match_the_modules_rules(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    """Marks are metadata-only updates: SageMaker puts an event for each, which the trigger rules pass over."""
    sqs: Any = sandbox.client("sqs")
    events: Any = sandbox.client("events")
    group = unique("marks-grp")
    url = sqs.create_queue(QueueName=unique("would-start"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    let_eventbridge_send(sqs, url, queue_arn)
    detail = {"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved", "Rejected"], "$or": APPROVAL_CHANGE}
    pattern = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"], "detail": detail}
    rule = unique("model-approval")
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "pipeline", "Arn": queue_arn}])
    sm: Any = sandbox.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=SPEC)["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])) == 1

    marks = RegistryMarks(sm)
    assert marks.mark_verified(arn, "dev", "2027-01-15T08:00:00Z") is True
    assert marks.set_live(arn, "dev") is True
    assert marks.set_live(arn, "dev", False) is True
    assert marks.mark_rolled_back(arn, "dev", "2027-01-15T09:00:00Z") is True
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
