"""EventBridge as the stage pipelines need it: AWS-shaped events, cross-account buses, CodePipeline and CodeBuild
targets.

moto delivers to SQS, logs, archives and other buses, but drops `account` from delivered events, re-stamps
forwarded events as new ones, ignores bus policies and DISABLED rules, sends PutEvents with a bus ARN to
the caller's own account, and raises NotImplementedError for CodePipeline, Lambda, SNS or CodeBuild targets
after the supported ones already received the event. This extension replaces `Rule.send_to_targets` and
`EventsBackend.put_events` to do what EventBridge does.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from moto.events.models import EventsBackend, Rule
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

from sandbox.ext import _bus, _patch, _policy

log = logging.getLogger(__name__)

EVENTS = "events.amazonaws.com"

_original_send_to_targets = _patch.current(Rule, "send_to_targets")


def _target_payload(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What the target receives: the whole event, a constant Input, or the InputTransformer's output."""
    if target.get("Input"):
        return json.loads(target["Input"])
    transformer = target.get("InputTransformer")
    if transformer:
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
    return _bus.rendered(event)


def _send_to_sqs(arn: Any, target: dict[str, Any], payload: Any) -> None:
    from moto.sqs import sqs_backends

    group_id = target.get("SqsParameters", {}).get("MessageGroupId")
    body = payload if isinstance(payload, str) else json.dumps(payload)
    sqs_backends[arn.account][arn.region].send_message(queue_name=arn.resource_id, message_body=body, group_id=group_id)


def _forward_to_bus(rule: Rule, arn: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
    # The forwarded event keeps its id, account, time and resources, as EventBridge does.
    # With a role, EventBridge puts the event as that role; without, as the rule's account.
    role = str(target.get("RoleArn") or "")
    sender = _policy.role_session(role, "events") if role else _policy.account_root(rule.account_id)
    if not _bus.bus_allows(arn.account, arn.region, arn.resource_id, sender, account_level=not role):
        log.warning(
            "rule %s: event %s not delivered to %s: its bus policy does not allow account %s to put events",
            rule.arn,
            event["id"],
            target["Arn"],
            rule.account_id,
        )
        return
    _bus.deliver(arn.account, arn.region, arn.resource_id, event)


def _target_allowed(rule: Rule, target: dict[str, Any], action: str) -> bool:
    """EventBridge invokes a target as the target's role, or, without one, as the events service, which the
    target's resource policy (an SQS queue policy) must let in for this rule."""
    role = str(target.get("RoleArn") or "")
    region = str(rule.arn).split(":")[3]
    if role:
        principal = _policy.role_session(role, "events")
        allowed = _policy.permits(principal, action, target["Arn"], region=region, operation="rule target")
    else:
        service = _policy.Principal(rule.account_id, EVENTS, EVENTS, service=EVENTS)
        context = {"aws:sourcearn": [str(rule.arn)], "aws:sourceaccount": [rule.account_id]}
        allowed = _policy.permits(
            service, action, target["Arn"], region=region, operation="rule target", context=context
        )
    if not allowed:
        log.warning("rule %s: %s on target %s denied; the invocation fails", rule.arn, action, target["Arn"])
    return allowed


def _start_build(rule: Rule, arn: Any) -> None:
    """A CodeBuild project target: start a build of it in its own account and region. The target's Input is not
    passed on (moto's StartBuild takes no environment overrides)."""
    from moto.codebuild.models import codebuild_backends

    backend = codebuild_backends[arn.account][arn.region]
    if arn.resource_id not in backend.codebuild_projects:
        log.warning("rule %s: target project %s does not exist in %s/%s", rule.arn, arn.resource_id, arn.account,
                    arn.region)  # fmt: skip
        return
    build = backend.start_build(arn.resource_id)
    log.info("rule %s: started build %s of project %s in %s/%s", rule.arn, build["id"], arn.resource_id,
             arn.account, arn.region)  # fmt: skip


def _send_one(rule: Rule, target: dict[str, Any], event: dict[str, Any], transform_input: bool) -> None:
    arn = parse_arn(target["Arn"])
    if arn.service == "events" and arn.resource_type == "event-bus":
        _forward_to_bus(rule, arn, target, event)
    elif arn.service == "sqs":
        if _target_allowed(rule, target, "sqs:SendMessage"):
            _send_to_sqs(arn, target, _target_payload(target, event) if transform_input else _bus.rendered(event))
    elif arn.service == "codepipeline":
        if not _target_allowed(rule, target, "codepipeline:StartPipelineExecution"):
            return
        from sandbox.ext import codepipeline_runtime

        codepipeline_runtime.start_from_event(arn.account, arn.region, arn.resource_id, rule.arn)
    elif arn.service == "codebuild" and arn.resource_type == "project":
        if _target_allowed(rule, target, "codebuild:StartBuild"):
            _start_build(rule, arn)
    elif arn.service == "logs" or (arn.service == "events" and arn.resource_type in ("", "api-destination")):
        # moto handles these; hand it a copy of the rule holding just this target.
        single = copy.copy(rule)
        single.targets = [target]
        _original_send_to_targets(single, event, transform_input)
    else:
        log.info(
            "rule %s: target %s (%s) is not simulated by the sandbox; skipped", rule.arn, target.get("Id"), arn.service
        )


def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
    if getattr(self, "state", "ENABLED") != "ENABLED":
        return
    if not self.event_pattern.matches_event(original_event):
        return
    for target in list(self.targets):
        try:
            _send_one(self, target, original_event, transform_input)
        except Exception:
            # A failing target never fails PutEvents in AWS (it shows up as FailedInvocations).
            log.exception("rule %s: delivery to target %s failed", self.arn, target.get("Id"))


def _entry_error(entry: dict[str, Any]) -> dict[str, str] | None:
    for field, name in (("Source", "Source"), ("DetailType", "DetailType"), ("Detail", "Detail")):
        if not entry.get(field):
            return {
                "ErrorCode": "InvalidArgument",
                "ErrorMessage": f"Parameter {name} is not valid. Reason: {name} is a required argument.",
            }
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    if not isinstance(detail, dict):
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    if str(entry["Source"]).startswith("aws."):
        # Only AWS services may publish aws.* events.
        return {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
    return None


def put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from moto.events.exceptions import ValidationException

    if len(events) > 10:
        raise ValidationException(
            "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy "
            "constraint: Member must have length less than or equal to 10"
        )
    # Each entry's bus was authorized by the IAM middleware (bus policies included) before this point.
    targets = [_bus.parse_bus(e.get("EventBusName"), self.account_id, self.region_name) for e in events]
    entries: list[dict[str, Any]] = []
    for entry, (account, region, bus_name) in zip(events, targets, strict=True):
        error = _entry_error(entry)
        if error:
            entries.append(error)
            continue
        if account == self.account_id and region == self.region_name and bus_name not in self.event_buses:
            from moto.events.exceptions import ResourceNotFoundException

            raise ResourceNotFoundException(f"Event bus {bus_name} does not exist.")
        event = _bus.make_event(
            self.account_id,
            self.region_name,
            entry["Source"],
            entry["DetailType"],
            json.loads(entry["Detail"]),
            entry.get("Resources", []),
            float(entry["Time"]) if entry.get("Time") else None,
        )
        entries.append({"EventId": event["id"]})
        _bus.deliver(account, region, bus_name, event)
    return entries


def apply() -> None:
    _patch.replace(Rule, "send_to_targets", send_to_targets)
    _patch.replace(EventsBackend, "put_events", put_events)
