"""The last check before a mutating request leaves: is the endpoint's lease still ours by our own clock?

The fence (`LockKeeper.fence`) renews the lease before each mutating call, but a run can stall after it (a
frozen container, botocore's own backoff between attempts) and send its request after another run took the
lease over. SageMaker has no conditional UpdateEndpoint, so the client closes the window as far as it can: a
botocore `before-send` hook, which fires on every attempt, refuses to send once the lease deadline (less a
margin for clock skew between runners and the request's time on the wire) has passed. What it lets through is
remembered, so a run that finds its lease lost later can say which change may have landed after it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from deployer.endpoint.target import MUTATING_VERBS
from deployer.errors import LockHeldError
from deployer.sessions import Client

log = logging.getLogger(__name__)

# Share of the lease kept in reserve: a request is not sent in the last tenth of it.
SEND_MARGIN = 0.1
# The calls that change what the endpoint serves (the ones worth recording when the lease is lost after them).
ENDPOINT_CHANGES = frozenset({"sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DeleteEndpoint"})


class LeaseClock(Protocol):
    """What the check reads from the held lock (`LockKeeper`)."""

    endpoint: str
    owner: str
    ttl: int
    deadline: float  # monotonic time the lease expires, as of the last successful acquisition or renewal
    renewals: int  # successful renewals so far

    def clock(self) -> float: ...


@dataclass(frozen=True)
class SentCall:
    """A mutating request that left with the lease believed ours; `renewals` counts the renewals before it."""

    action: str
    endpoint_config: str
    renewals: int


class SendDeadline:
    """The `before-send` check on the deployer's clients while the lock is held (`installed`)."""

    def __init__(self, lease: LeaseClock, margin: float = SEND_MARGIN) -> None:
        self.lease = lease
        self.margin = margin
        self.sent: list[SentCall] = []
        self._in_flight: SentCall | None = None

    def check(self, service: str, event_name: str = "", request: Any = None, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if not operation.startswith(MUTATING_VERBS):
            return
        action = f"{service}:{operation}"
        lease = self.lease
        left = lease.deadline - lease.clock()
        reserve = lease.ttl * self.margin
        if left <= reserve:
            when = f"expired {-left:.0f}s ago" if left < 0 else f"is {left:.0f}s from expiry (reserve {reserve:.0f}s)"
            raise LockHeldError(
                f"the lease on {lease.endpoint} {when} by this run's clock (a stall since it was renewed): {action} "
                "was not sent, so this run changed nothing more; another run may hold the lock now"
            )
        self._in_flight = SentCall(action, _config_of(request), lease.renewals)
        self.sent.append(self._in_flight)

    def answered(self, response_dict: dict[str, Any] | None = None, **_: Any) -> None:
        """An attempt's answer: a 4xx (throttled, refused) proves it changed nothing; anything else may have."""
        sent, self._in_flight = self._in_flight, None
        status = int((response_dict or {}).get("status_code") or 0)
        if sent is not None and 400 <= status < 500:
            self.sent.remove(sent)

    def unconfirmed_changes(self) -> list[SentCall]:
        """Endpoint changes sent after the last renewal: nothing proves they landed while the lease was ours."""
        return [c for c in self.sent if c.action in ENDPOINT_CHANGES and c.renewals >= self.lease.renewals]

    @contextmanager
    def installed(self, clients: Sequence[tuple[str, Client]]) -> Iterator[SendDeadline]:
        """Register the check last on each (service, client), so it runs after any other before-send hook."""
        registered: list[tuple[Client, Callable[..., None], str]] = []
        for service, client in clients:
            handler: Callable[..., None] = partial(self.check, service)
            unique = f"deployer-send-deadline-{id(self)}"  # botocore keeps unique ids across event names
            client.meta.events.register_last("before-send", handler, unique_id=unique)
            client.meta.events.register_last("response-received", self.answered, unique_id=f"{unique}-answer")
            registered.append((client, handler, unique))
        try:
            yield self
        finally:
            for client, handler, unique in registered:
                client.meta.events.unregister("before-send", handler, unique_id=unique)
                client.meta.events.unregister("response-received", self.answered, unique_id=f"{unique}-answer")


def _config_of(request: Any) -> str:
    """The EndpointConfigName a JSON request carries ("" for others)."""
    body = getattr(request, "body", None) or b"{}"
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return ""
    return str(data.get("EndpointConfigName", "")) if isinstance(data, dict) else ""
