"""SNS topics `arn:...:sns:<region>:<account>:<topic>` and SQS queues `arn:...:sqs:<region>:<account>:<queue>`."""

from __future__ import annotations

from urllib.parse import urlparse

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, Ctx, is_arn

_SNS_STAR = frozenset(
    {"ListTopics", "ListSubscriptions", "Unsubscribe", "GetSubscriptionAttributes", "SetSubscriptionAttributes"}
)
_SNS_STAR |= {"CreatePlatformApplication", "ListPlatformApplications", "CheckIfPhoneNumberIsOptedOut"}
# SQS batch APIs are authorized as their single-message action (there is no sqs:SendMessageBatch).
_SQS_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def sns_rules(call: Call) -> list[Authorization]:
    op = call.operation
    if op in _SNS_STAR:
        return [call.star()]
    arn = call.param("ResourceArn") or call.param("TopicArn") or call.param("TargetArn")
    if op == "CreateTopic":
        arn = call.arn("sns", call.param("Name"))
    if not arn:
        return [call.unknown()]
    ctx: Ctx = {}
    if op == "Subscribe":
        ctx = {"sns:protocol": (call.param("Protocol"),), "sns:endpoint": (call.param("Endpoint"),)}
    out = [call.auth(arn, context=ctx)]
    if op == "CreateTopic" and call.tag_context:
        out.append(call.auth(arn, "TagResource"))  # tags on create need sns:TagResource
    return out


def queue_arn(call: Call, url: str) -> str:
    """A queue's ARN from its URL (`http(s)://host/<account>/<name>`)."""
    parts = urlparse(url).path.strip("/").split("/")
    if len(parts) >= 2:
        return call.arn("sqs", parts[-1], account=parts[-2])
    return call.arn("sqs", parts[-1])


def sqs_rules(call: Call) -> list[Authorization]:
    action = _SQS_ACTIONS.get(call.operation)
    if call.operation in ("ListQueues",):
        return [call.star()]
    url = call.param("QueueUrl")
    if url:
        return [call.auth(queue_arn(call, url), action)]
    name = call.param("QueueName")
    if not name:
        return [call.unknown(action)]
    arn = name if is_arn(name) else call.arn("sqs", name, account=call.param("QueueOwnerAWSAccountId") or None)
    out = [call.auth(arn, action)]
    if call.operation == "CreateQueue" and call.tag_context:
        out.append(call.auth(arn, "TagQueue"))  # tags on create need sqs:TagQueue
    return out
