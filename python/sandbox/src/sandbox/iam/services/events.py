"""EventBridge: buses `event-bus/<name>`, rules `rule/<rule>` (default bus) or `rule/<bus>/<rule>`."""

from __future__ import annotations

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, Rule, arn_account, arn_resource, as_dict, as_list, as_str, dispatch, is_arn

PRINCIPAL = "events.amazonaws.com"
# No resource-level permissions (SAR): the bus policy APIs and the account-wide reads.
_STAR = frozenset(
    {"PutPermission", "RemovePermission", "ListRules", "ListEventBuses", "ListRuleNamesByTarget", "TestEventPattern"}
)


def bus_arn(call: Call, bus: str) -> str:
    return bus if is_arn(bus) else call.arn("events", f"event-bus/{bus or 'default'}")


def rule_arn(call: Call, rule: str, bus: str) -> str:
    """A rule's ARN; a rule on another account's bus (bus given as ARN) belongs to that account."""
    if is_arn(rule):
        return rule
    if is_arn(bus):
        name = arn_resource(bus).split("/", 1)[-1]
        resource = f"rule/{rule}" if name == "default" else f"rule/{name}/{rule}"
        return call.arn("events", resource, account=arn_account(bus))
    resource = f"rule/{rule}" if bus in ("", "default") else f"rule/{bus}/{rule}"
    return call.arn("events", resource)


def _put_events(call: Call) -> list[Authorization]:
    """One check per entry: each names its bus, source and detail-type."""
    out = []
    for entry in as_list(call.params.get("Entries")):
        entry = as_dict(entry)
        ctx = {
            "events:source": (as_str(entry.get("Source")),),
            "events:detail-type": (as_str(entry.get("DetailType")),),
        }
        out.append(call.auth(bus_arn(call, as_str(entry.get("EventBusName"))), context=ctx))
    return out or [call.auth(bus_arn(call, ""))]


def _rule_with_roles(call: Call) -> list[Authorization]:
    """PutRule / PutTargets: the rule, plus iam:PassRole for each role handed to EventBridge."""
    rule = call.param("Name") or call.param("Rule")
    arn = rule_arn(call, rule, call.param("EventBusName"))
    targets = [as_dict(t) for t in as_list(call.params.get("Targets"))]
    ctx = {"events:targetarn": tuple(as_str(t.get("Arn")) for t in targets)} if targets else {}
    out = [call.auth(arn, context=ctx)]
    if call.operation == "PutRule" and call.tag_context:
        out.append(call.auth(arn, "TagResource"))
    roles = [call.param("RoleArn")] + [as_str(t.get("RoleArn")) for t in targets]
    out.extend(call.pass_role(role, PRINCIPAL, associated=arn) for role in dict.fromkeys(roles) if role)
    return out


def _generic(call: Call) -> list[Authorization]:
    if call.operation in _STAR:
        return [call.star()]
    if call.param("ResourceARN"):
        return [call.auth(call.param("ResourceARN"))]
    if "EventBus" in call.operation:
        out = [call.auth(bus_arn(call, call.param("Name") or call.param("EventBusName")))]
        if call.operation == "CreateEventBus" and call.tag_context:
            out.append(call.auth(out[0].resource, "TagResource"))
        return out
    rule = call.param("Rule") or call.param("Name")
    if rule and ("Rule" in call.operation or "Targets" in call.operation):
        return [call.auth(rule_arn(call, rule, call.param("EventBusName")))]
    return [call.unknown()]


_RULES: dict[str, Rule] = {"PutEvents": _put_events, "PutRule": _rule_with_roles, "PutTargets": _rule_with_roles}


def rules(call: Call) -> list[Authorization]:
    return dispatch(call, _RULES, _generic)
