"""EventBridge delivery shared by the extensions: AWS-shaped events, rules, targets, cross-account buses.

Service events (aws.sagemaker, aws.codecommit) and PutEvents entries both end up in `deliver`, which runs
every enabled rule of the bus through moto's own pattern matching and then hands the event to each target.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sandbox.ext import _policy

log = logging.getLogger(__name__)

# AWS's key order for an event as targets receive it.
_EVENT_KEYS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def iso_time(value: datetime | float) -> str:
    """AWS event time format: 2021-02-24T17:00:14Z."""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, tz=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_event(
    account: str,
    region: str,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str] | None = None,
    time: float | None = None,
) -> dict[str, Any]:
    """An event as EventBridge holds it internally (time as epoch seconds, plus ingestion-time for moto)."""
    now = datetime.now(tz=UTC).timestamp()
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": now if time is None else time,
        "region": region,
        "resources": list(resources or []),
        "detail": detail,
        "ingestion-time": now,
    }


def rendered(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a target receives it: AWS keys and order, ISO time."""
    out = {key: copy.deepcopy(event.get(key)) for key in _EVENT_KEYS}
    out["time"] = iso_time(float(event["time"])) if isinstance(event.get("time"), (int, float)) else event.get("time")
    return out


def emit(
    account: str, region: str, source: str, detail_type: str, detail: dict[str, Any], resources: list[str]
) -> None:
    """Put a service event on the account's default bus, as the AWS service itself would."""
    event = make_event(account, region, source, detail_type, detail, resources)
    log.info("event %s %r in %s/%s for %s", source, detail_type, account, region, resources)
    deliver(account, region, "default", event)


def deliver(account: str, region: str, bus_name: str, event: dict[str, Any]) -> None:
    """Run `event` through every rule of the bus `bus_name` in account/region."""
    from moto.events.models import events_backends

    backend = events_backends[account][region]
    bus = backend.event_buses.get(bus_name)
    if bus is None:
        log.info("event %s dropped: bus %s does not exist in %s/%s", event["id"], bus_name, account, region)
        return
    for rule in list(bus.rules.values()):
        rule.send_to_targets(copy.deepcopy(event))


def bus_allows(account: str, region: str, bus_name: str, sender: _policy.Principal, *, account_level: bool) -> bool:
    """May `sender` put events on the bus? Across accounts the bus policy must allow it, as EventBridge checks."""
    arn = f"arn:aws:events:{region}:{account}:event-bus/{bus_name}"
    return _policy.permits(sender, "events:PutEvents", arn, region=region, operation="PutEvents (rule target)",
                           account_level=account_level)  # fmt: skip


def parse_bus(name_or_arn: str | None, default_account: str, default_region: str) -> tuple[str, str, str]:
    """(account, region, bus name) for a PutEvents EventBusName (absent, a name, or an ARN)."""
    if not name_or_arn:
        return default_account, default_region, "default"
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":", 5)
        return parts[4], parts[3], parts[5].split("/", 1)[-1]
    return default_account, default_region, name_or_arn


def dumps(event: dict[str, Any]) -> str:
    return json.dumps(rendered(event))
