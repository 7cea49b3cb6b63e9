"""EventBridge in the sandbox: registry events, forwarding across accounts, SQS and CodePipeline targets."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.testing import ADMIN_POLICY, let_eventbridge_send
from tests.conftest import ACCOUNTS, REGION, Sandbox

TOOLING = ACCOUNTS["tooling"]
DEV = ACCOUNTS["dev"]
ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SPEC = {"Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/m:1", "ModelDataUrl": "s3://b/m.tar.gz"}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}  # fmt: skip


def _queue(sqs: Any, name: str, *, events_may_send: bool = True) -> tuple[str, str]:
    """A queue; its policy lets EventBridge rules of the same account send to it, as AWS requires."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if events_may_send:
        let_eventbridge_send(sqs, url, arn)
    return str(url), str(arn)


def _messages(sqs: Any, url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def _approval_pattern(group: str) -> str:
    return json.dumps(
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Model Package State Change"],
            "detail": {"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved"]},
        }
    )


def _allow_account_on_bus(events: Any, bus: str, account: str) -> None:
    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=account, StatementId=f"from-{account}")


def _forwarding(sandbox: Sandbox, unique: Callable[[str], str], group: str, allow: bool) -> tuple[Any, str, str]:
    """tooling default bus --rule--> dev custom bus --rule--> dev SQS queue; returns (dev sqs, queue url, bus)."""
    dev_events: Any = sandbox.client("events", account="dev")
    dev_sqs: Any = sandbox.client("sqs", account="dev")
    bus = unique("stage-bus")
    bus_arn = dev_events.create_event_bus(Name=bus)["EventBusArn"]
    if allow:
        _allow_account_on_bus(dev_events, bus, TOOLING)
    url, queue_arn = _queue(dev_sqs, unique("approvals"))
    dev_rule = unique("on-approval")
    dev_events.put_rule(Name=dev_rule, EventBusName=bus, EventPattern=_approval_pattern(group))
    dev_events.put_targets(Rule=dev_rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])

    tooling_events: Any = sandbox.client("events")
    sandbox.ensure_admin_role(TOOLING, "forwarder")  # EventBridge puts the event on dev's bus as this role
    forward = unique("forward")
    tooling_events.put_rule(Name=forward, EventPattern=_approval_pattern(group))
    tooling_events.put_targets(
        Rule=forward, Targets=[{"Id": "dev", "Arn": bus_arn, "RoleArn": f"arn:aws:iam::{TOOLING}:role/forwarder"}]
    )
    return dev_sqs, url, bus


def test_approval_event_reaches_a_queue_in_another_account(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    group = unique("evt-grp")
    dev_sqs, url, _ = _forwarding(sandbox, unique, group, allow=True)
    sm: Any = sandbox.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=SPEC)["ModelPackageArn"]
    assert _messages(dev_sqs, url) == []  # created PendingManualApproval: the Approved rules do not match

    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="looks good")
    [event] = _messages(dev_sqs, url)
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event["source"] == "aws.sagemaker"
    assert event["detail-type"] == "SageMaker Model Package State Change"
    assert event["account"] == TOOLING  # forwarding keeps the original account
    assert event["region"] == REGION
    assert event["resources"] == [arn]
    assert ISO_SECONDS.match(event["time"])
    detail = event["detail"]
    assert detail["ModelPackageGroupName"] == group
    assert detail["ModelPackageName"] == group
    assert detail["ModelPackageVersion"] == 1
    assert detail["ModelPackageArn"] == arn
    assert detail["ModelApprovalStatus"] == "Approved"
    assert detail["ModelPackageStatus"] == "Completed"
    assert detail["ApprovalDescription"] == "looks good"
    assert detail["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == "s3://b/m.tar.gz"
    assert detail["UpdatedModelPackageFields"] == ["ModelApprovalStatus", "ApprovalDescription"]
    assert ISO_SECONDS.match(detail["CreationTime"])
    assert ISO_SECONDS.match(detail["LastModifiedTime"])

    # Any update puts an event (AWS does); this status-only pattern matches a metadata write on an Approved
    # version too. The modules' rules also filter on UpdatedModelPackageFields (test_registry_updates).
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"verified_dev": "true"})
    [event] = _messages(dev_sqs, url)
    assert event["detail"]["UpdatedModelPackageFields"] == ["CustomerMetadataProperties"]


def test_package_created_approved_puts_an_event(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    group = unique("evt-create-grp")
    dev_sqs, url, _ = _forwarding(sandbox, unique, group, allow=True)
    sm: Any = sandbox.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="Approved"
    )["ModelPackageArn"]
    [event] = _messages(dev_sqs, url)
    assert event["resources"] == [arn]
    assert "UpdatedModelPackageFields" not in event["detail"]


def test_forwarding_needs_the_target_bus_policy(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    group = unique("evt-denied-grp")
    dev_sqs, url, _ = _forwarding(sandbox, unique, group, allow=False)
    sm: Any = sandbox.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="Approved")
    assert _messages(dev_sqs, url) == []


@pytest.mark.parametrize(("allowed_role", "delivered"), [("forwarder", True), ("someone-else", False)])
def test_bus_policy_narrowed_to_the_forwarding_role(
    sandbox: Sandbox, unique: Callable[[str], str], allowed_role: str, delivered: bool
) -> None:
    """aws:PrincipalArn of a role session is the role's ARN, as IAM evaluates it (the modules' bus policies)."""
    group = unique("evt-narrow-grp")
    dev_sqs, url, bus = _forwarding(sandbox, unique, group, allow=False)
    dev_events: Any = sandbox.client("events", account="dev")
    bus_arn = dev_events.describe_event_bus(Name=bus)["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RegistryPutEvents",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{TOOLING}:root"},
                "Action": "events:PutEvents",
                "Resource": bus_arn,
                "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{TOOLING}:role/{allowed_role}"}},
            }
        ],
    }
    dev_events.put_permission(EventBusName=bus, Policy=json.dumps(policy))
    sm: Any = sandbox.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="Approved")
    assert len(_messages(dev_sqs, url)) == (1 if delivered else 0)


def test_unsupported_targets_are_skipped_and_disabled_rules_do_not_fire(
    sandbox: Sandbox, unique: Callable[[str], str]
) -> None:
    events: Any = sandbox.client("events", account="dev")
    sqs: Any = sandbox.client("sqs", account="dev")
    url, queue_arn = _queue(sqs, unique("mixed"))
    pattern = json.dumps({"source": ["demo.promotion"]})
    rule = unique("mixed-targets")
    events.put_rule(Name=rule, EventPattern=pattern)
    events.put_targets(
        Rule=rule,
        Targets=[
            {"Id": "fn", "Arn": f"arn:aws:lambda:{REGION}:{DEV}:function:notify"},
            {"Id": "topic", "Arn": f"arn:aws:sns:{REGION}:{DEV}:alerts"},
            {"Id": "build", "Arn": f"arn:aws:codebuild:{REGION}:{DEV}:project/p"},
            {"Id": "queue", "Arn": queue_arn},
        ],
    )
    disabled = unique("disabled")
    events.put_rule(Name=disabled, EventPattern=pattern, State="DISABLED")
    events.put_targets(Rule=disabled, Targets=[{"Id": "queue", "Arn": queue_arn}])

    answer = events.put_events(Entries=[{"Source": "demo.promotion", "DetailType": "Promote", "Detail": '{"v": 1}'}])
    assert answer["FailedEntryCount"] == 0
    [event] = _messages(sqs, url)
    assert event["account"] == DEV
    assert event["detail"] == {"v": 1}
    assert event["id"] == answer["Entries"][0]["EventId"]


def test_put_events_validates_entries(sandbox: Sandbox) -> None:
    events: Any = sandbox.client("events", account="dev")
    answer = events.put_events(
        Entries=[
            {"Source": "aws.sagemaker", "DetailType": "SageMaker Model Package State Change", "Detail": "{}"},
            {"Source": "demo", "DetailType": "x", "Detail": "not json"},
            {"Source": "demo", "DetailType": "x", "Detail": '{"ok": true}'},
        ]
    )
    assert answer["FailedEntryCount"] == 2
    assert answer["Entries"][0]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert answer["Entries"][1]["ErrorCode"] == "MalformedDetail"
    assert "EventId" in answer["Entries"][2]


def test_put_events_to_a_bus_in_another_account(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    staging_events: Any = sandbox.client("events", account="staging")
    staging_sqs: Any = sandbox.client("sqs", account="staging")
    bus = unique("promotions")
    bus_arn = staging_events.create_event_bus(Name=bus)["EventBusArn"]
    url, queue_arn = _queue(staging_sqs, unique("promoted"))
    rule = unique("promoted")
    staging_events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["mlops.deployer"]}))
    staging_events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    entry = {
        "Source": "mlops.deployer",
        "DetailType": "Stage Verified",
        "Detail": '{"version": 3}',
        "EventBusName": bus_arn,
    }

    tooling_events: Any = sandbox.client("events", account="tooling", role="promoter")
    with pytest.raises(ClientError) as exc:
        tooling_events.put_events(Entries=[entry])
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"arn:aws:sts::{TOOLING}:assumed-role/promoter/tests" in exc.value.response["Error"]["Message"]
    assert _messages(staging_sqs, url) == []

    _allow_account_on_bus(staging_events, bus, TOOLING)
    assert tooling_events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    [event] = _messages(staging_sqs, url)
    assert event["account"] == TOOLING
    assert event["detail"] == {"version": 3}


def test_codepipeline_target_starts_an_execution(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    group = unique("evt-pipe-grp")
    dev_events: Any = sandbox.client("events", account="dev")
    bus = unique("pipe-bus")
    bus_arn = dev_events.create_event_bus(Name=bus)["EventBusArn"]
    _allow_account_on_bus(dev_events, bus, TOOLING)
    pipeline = _pipeline(sandbox, unique, account="dev")
    sandbox.ensure_admin_role(DEV, "events-start-pipeline")  # EventBridge starts the pipeline as this role
    rule = unique("start-pipeline")
    rule_arn = dev_events.put_rule(Name=rule, EventBusName=bus, EventPattern=_approval_pattern(group))["RuleArn"]
    dev_events.put_targets(
        Rule=rule,
        EventBusName=bus,
        Targets=[
            {
                "Id": "pipeline",
                "Arn": f"arn:aws:codepipeline:{REGION}:{DEV}:{pipeline}",
                "RoleArn": f"arn:aws:iam::{DEV}:role/events-start-pipeline",
            }
        ],
    )
    tooling_events: Any = sandbox.client("events")
    forward = unique("forward-pipe")
    tooling_events.put_rule(Name=forward, EventPattern=_approval_pattern(group))
    tooling_events.put_targets(Rule=forward, Targets=[{"Id": "dev", "Arn": bus_arn}])

    cp: Any = sandbox.client("codepipeline", account="dev")
    assert cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"] == []
    sm: Any = sandbox.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="Approved")

    [summary] = cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"]
    assert summary["trigger"] == {"triggerType": "CloudWatchEvent", "triggerDetail": rule_arn}
    assert summary["status"] == "Succeeded"


def _pipeline(sandbox: Sandbox, unique: Callable[[str], str], account: str) -> str:
    iam: Any = sandbox.client("iam", account=account)
    role = unique("pipeline-role")
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
    name = unique("deploy")
    cp: Any = sandbox.client("codepipeline", account=account)
    cp.create_pipeline(
        pipeline={
            "name": name,
            "roleArn": role_arn,
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        {
                            "name": "Source",
                            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                            "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"},
                            "outputArtifacts": [{"name": "src"}],
                        }
                    ],
                },
                {
                    "name": "Deploy",
                    "actions": [
                        {
                            "name": "Deploy",
                            "actionTypeId": {
                                "category": "Build",
                                "owner": "AWS",
                                "provider": "CodeBuild",
                                "version": "1",
                            },
                            "configuration": {"ProjectName": "deploy"},
                            "inputArtifacts": [{"name": "src"}],
                        }
                    ],
                },
            ],
        }
    )
    return name
