"""Count the deployer's AWS calls with botocore event hooks, without touching the deployer.

`CountingSessions` is the deployer's `AccountSessions` with one addition: every client it hands out, and
every client made from its base session (the STS client that assumes roles), carries a `before-call` and
an `after-call` hook. `before-call` fires once per API call (not per HTTP retry), so the counts are calls
as the service bills them against its rate limits; `before-send` counts HTTP attempts, retries included.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3

from deployer.sessions import AccountSessions

SETTLED = frozenset({"InService", "Failed", "UpdateRollbackFailed", "OutOfService"})
MUTATING_PREFIXES = ("Create", "Update", "Delete", "Put", "Register", "Deregister", "Add", "Transact")
_HOOK_ID = "bench-call-log"


@dataclass
class Call:
    start: float
    service: str
    operation: str
    end: float = 0.0
    http_status: int = 0
    endpoint_status: str = ""

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)
    http_attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, events: Any) -> None:
        """Register the hooks on a botocore event emitter (a session's or a client's); idempotent."""
        events.register("before-call", self._before_call, unique_id=f"{_HOOK_ID}-before")
        events.register("after-call", self._after_call, unique_id=f"{_HOOK_ID}-after")
        events.register("before-send", self._before_send, unique_id=f"{_HOOK_ID}-send")

    def _before_call(self, event_name: str, context: dict[str, Any], **_: Any) -> None:
        _prefix, service, operation = event_name.split(".", 2)
        call = Call(time.monotonic(), service, operation)
        context["bench_call"] = call
        with self._lock:
            self.calls.append(call)

    def _after_call(self, context: dict[str, Any], http_response: Any, parsed: Any, **_: Any) -> None:
        call = context.get("bench_call")
        if isinstance(call, Call):
            call.end = time.monotonic()
            call.http_status = int(getattr(http_response, "status_code", 0) or 0)
            answer: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
            call.endpoint_status = str(answer.get("EndpointStatus", "") or "")

    def _before_send(self, **_: Any) -> None:
        with self._lock:
            self.http_attempts += 1

    def by_operation(self) -> dict[str, int]:
        return dict(sorted(Counter(c.name for c in self.calls).items()))


class CountingSessions(AccountSessions):
    """AccountSessions whose clients log every call into `log`."""

    def __init__(self, stage: str, base_session: boto3.Session, log: CallLog, **kwargs: Any) -> None:
        log.attach(base_session.events)  # clients made from the base session (STS AssumeRole) inherit it
        super().__init__(stage, base_session, **kwargs)
        self.call_log = log
        self.clients_created = 0
        self._seen: set[int] = set()

    def client(self, service: str, role_arn: str, region: str) -> Any:
        client = super().client(service, role_arn, region)
        if id(client) not in self._seen:
            self._seen.add(id(client))
            self.clients_created += 1
            self.call_log.attach(client.meta.events)
        return client


@dataclass(frozen=True)
class RolloutCalls:
    """One rollout's calls, split into the wait (polling) and everything else."""

    total: int
    polling: int
    other: int
    mutating: int
    reads: int
    sts: int
    http_attempts: int
    wait_wall_seconds: float
    poll_gaps_wall: list[float]
    by_operation: dict[str, int]


def classify(log: CallLog) -> RolloutCalls:
    """Polling = DescribeEndpoint calls after CreateEndpoint/UpdateEndpoint, up to the first settled answer."""
    calls = sorted(log.calls, key=lambda c: c.start)
    start_index = next(
        (
            i
            for i, c in enumerate(calls)
            if c.service == "sagemaker" and c.operation in ("CreateEndpoint", "UpdateEndpoint")
        ),
        None,
    )
    polls: list[Call] = []
    wait_wall = 0.0
    if start_index is not None:
        mutate = calls[start_index]
        for call in calls[start_index + 1 :]:
            if call.service == "sagemaker" and call.operation == "DescribeEndpoint":
                polls.append(call)
                if call.endpoint_status in SETTLED:
                    wait_wall = (call.end or call.start) - mutate.start
                    break
    poll_ids = {id(c) for c in polls}
    others = [c for c in calls if id(c) not in poll_ids]
    sts = [c for c in others if c.service == "sts"]
    mutating = [c for c in others if c.service != "sts" and c.operation.startswith(MUTATING_PREFIXES)]
    gaps = [b.start - a.start for a, b in itertools.pairwise(polls)]
    return RolloutCalls(
        total=len(calls),
        polling=len(polls),
        other=len(others),
        mutating=len(mutating),
        reads=len(others) - len(mutating) - len(sts),
        sts=len(sts),
        http_attempts=log.http_attempts,
        wait_wall_seconds=wait_wall,
        poll_gaps_wall=gaps,
        by_operation=log.by_operation(),
    )
