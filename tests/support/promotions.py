"""A stage's promotion inbox: its event bus (which the previous stage's deploy role may put events on, as
modules/stage allows) and a rule forwarding "Model Version Verified" events for it into an SQS queue."""

from __future__ import annotations

import json
from typing import Any

from sandbox.harness import ACCOUNTS
from sandbox.testing import let_eventbridge_send
from tests.support.accounts import deploy_role


def bus_policy(bus_arn: str, previous: str) -> str:
    statement = {
        "Sid": "PreviousStagePutEvents",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS[previous]}:root"},
        "Action": "events:PutEvents",
        "Resource": bus_arn,
        "Condition": {"ArnEquals": {"aws:PrincipalArn": deploy_role(previous)}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def open_inbox(events: Any, sqs: Any, *, stage: str, bus_name: str, bus_arn: str, previous: str) -> str:
    """Create the bus, its policy, the queue and the rule into it; return the queue URL."""
    events.create_event_bus(Name=bus_name)
    events.put_permission(EventBusName=bus_name, Policy=bus_policy(bus_arn, previous))
    queue_url = str(sqs.create_queue(QueueName=f"{bus_name}-promotions")["QueueUrl"])
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    queue_arn = attributes["QueueArn"]
    let_eventbridge_send(sqs, queue_url, queue_arn)
    rule = f"{bus_name}-previous-stage-verified"
    pattern = {
        "source": ["mlops.deployer"],
        "detail-type": ["Model Version Verified"],
        "detail": {"next_stage": [stage]},
    }
    events.put_rule(Name=rule, EventBusName=bus_name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, EventBusName=bus_name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every event in the queue so far, oldest first (the queue is left empty)."""
    events: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return events
        for message in messages:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
