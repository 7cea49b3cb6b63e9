"""EventBridge as the stage pipelines need it: AWS-shaped events, cross-account buses, CodePipeline targets.

moto delivers to SQS, logs, archives and other buses, but drops `account` from delivered events, re-stamps
forwarded events as new ones, ignores bus policies and DISABLED rules, sends PutEvents with a bus ARN to
the caller's own account, and raises NotImplementedError for CodePipeline, Lambda, SNS or CodeBuild targets
after the supported ones already received the event. This extension replaces `Rule.send_to_targets` and
`EventsBackend.put_events` to do what EventBridge does.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.events.models import EventsBackend, Rule
from moto.events.responses import EventsHandler
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

from sandbox.ext import _bus, _policy

log = logging.getLogger(__name__)

# The caller of the PutEvents request being served (the backend API has no caller argument).
_current_caller: contextvars.ContextVar[_policy.Caller | None] = contextvars.ContextVar("caller", default=None)

_original_send_to_targets = Rule.send_to_targets


class AccessDeniedException(JsonRESTError):  # type: ignore[misc]
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def _target_payload(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What the target receives: the whole event, a constant Input, or the InputTransformer's output."""
    if target.get("Input"):
        return json.loads(target["Input"])
    transformer = target.get("InputTransformer")
    if transformer:
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]
        )
    return _bus.rendered(event)


def _send_to_sqs(arn: Any, target: dict[str, Any], payload: Any) -> None:
    from moto.sqs import sqs_backends

    group_id = target.get("SqsParameters", {}).get("MessageGroupId")
    body = payload if isinstance(payload, str) else json.dumps(payload)
    sqs_backends[arn.account][arn.region].send_message(queue_name=arn.resource_id, message_body=body, group_id=group_id)


def _forward_to_bus(rule: Rule, arn: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
    # The forwarded event keeps its id, account, time and resources, as EventBridge does.
    sender = _policy.account_root(rule.account_id)
    if target.get("RoleArn"):
        role_name = str(target["RoleArn"]).rsplit("/", 1)[-1]
        sender = _policy.Caller(rule.account_id, f"arn:aws:sts::{rule.account_id}:assumed-role/{role_name}/events")
    if not _bus.bus_allows(arn.account, arn.region, arn.resource_id, sender):
        log.warning(
            "rule %s: event %s not delivered to %s: its bus policy does not allow account %s to put events",
            rule.arn,
            event["id"],
            target["Arn"],
            rule.account_id,
        )
        return
    _bus.deliver(arn.account, arn.region, arn.resource_id, event)


def _send_one(rule: Rule, target: dict[str, Any], event: dict[str, Any], transform_input: bool) -> None:
    arn = parse_arn(target["Arn"])
    if arn.service == "events" and arn.resource_type == "event-bus":
        _forward_to_bus(rule, arn, target, event)
    elif arn.service == "sqs":
        _send_to_sqs(arn, target, _target_payload(target, event) if transform_input else _bus.rendered(event))
    elif arn.service == "codepipeline":
        from sandbox.ext import codepipeline_runtime

        codepipeline_runtime.start_from_event(arn.account, arn.region, arn.resource_id, rule.arn)
    elif arn.service == "logs" or (arn.service == "events" and arn.resource_type in ("", "api-destination")):
        # moto handles these; hand it a copy of the rule holding just this target.
        single = copy.copy(rule)
        single.targets = [target]
        _original_send_to_targets(single, event, transform_input)  # type: ignore[arg-type]
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
    caller = _current_caller.get() or _policy.account_root(self.account_id)
    targets = [_bus.parse_bus(e.get("EventBusName"), self.account_id, self.region_name) for e in events]
    for account, region, bus_name in set(targets):
        if account != self.account_id and not _bus.bus_allows(account, region, bus_name, caller):
            bus_arn = f"arn:aws:events:{region}:{account}:event-bus/{bus_name}"
            raise AccessDeniedException(_policy.access_denied_message(caller, "events:PutEvents", bus_arn))
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


_original_handler_put_events = EventsHandler.put_events


def handler_put_events(self: EventsHandler) -> str:
    token = _current_caller.set(_policy.caller_for(self.current_account, self.get_access_key(), self.region))
    try:
        return _original_handler_put_events(self)  # type: ignore[no-any-return]
    finally:
        _current_caller.reset(token)


def apply() -> None:
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
    EventsBackend.put_events = put_events  # type: ignore[method-assign]
    EventsHandler.put_events = handler_put_events  # type: ignore[method-assign]
