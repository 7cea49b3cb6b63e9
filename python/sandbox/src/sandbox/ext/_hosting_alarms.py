"""CloudWatch alarms as a rollout sees them: was any of them in ALARM during a stretch of the rollout?"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from sandbox.ext._hosting_model import AlarmProbe, AlarmTrip

log = logging.getLogger(__name__)


def _alarm_history(alarm: Any) -> list[tuple[datetime, str]]:
    """(since, state) for every state the alarm has been in, oldest first."""
    states = [
        (entry[4], str(entry[3]))
        for entry in getattr(alarm, "history", [])
        if isinstance(entry, tuple) and len(entry) >= 5 and entry[0] == "StateUpdate"
    ]
    states.append((alarm.state_updated_timestamp, str(alarm.state_value)))
    return states


def alarm_probe(account_id: str, region: str) -> AlarmProbe:
    """Only ALARM trips a rollback, as in AWS; OK and INSUFFICIENT_DATA (and unknown alarms) do not."""

    def probe(names: list[str], start: datetime, end: datetime) -> AlarmTrip | None:
        alarms = cloudwatch_backends[account_id][region].alarms
        first: datetime | None = None
        tripped: dict[str, datetime] = {}
        for name in names:
            alarm = alarms.get(name)
            if alarm is None:
                continue
            history = _alarm_history(alarm)
            for i, (since, value) in enumerate(history):
                until = history[i + 1][0] if i + 1 < len(history) else None
                if value != "ALARM":
                    continue
                lo = max(since, start)
                if lo <= end and (until is None or lo < until):
                    tripped[name] = lo
                    first = lo if first is None else min(first, lo)
                    break
        if first is None:
            return None
        return AlarmTrip(when=first, names=sorted(n for n, t in tripped.items() if t <= first))

    return probe
