"""The endpoint's lease lock in the ledger, taken around every change and renewed while a rollout waits."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from deployer import env
from deployer.errors import LockHeldError, is_retryable
from deployer.ledger import Ledger, LockLost
from deployer.promotion.context import StageContext
from deployer.promotion.send_deadline import SendDeadline

log = logging.getLogger(__name__)

DEFAULT_LOCK_POLL_SECONDS = 10.0
# The target clients whose mutating requests pass the send deadline (the endpoint's and its autoscaling's).
TARGET_SERVICES = ("sagemaker", "application-autoscaling")


def lock_owner(build_id: str) -> str:
    """Unique per run: the build id (or `local`) plus a random tail, so two runs never share a lease."""
    return f"{build_id or 'local'}#{uuid.uuid4().hex[:8]}"


# A fence renewal that takes longer than this share of the lease leaves too little of it for the call after.
FENCE_MARGIN = 0.5


class LockKeeper:
    """Called on every poll while a rollout waits: renews the lease once a third of its TTL has passed.

    A renewal that fails transiently (throttling, 5xx, a dropped connection, an expired token, after botocore's
    own retries) is tried again at the next poll: the lease is still ours until `deadline` (our monotonic
    clock). Only a lease really lost stops the run: the store names another holder, or `deadline` passed.

    `fence` renews it right before every mutating call, conditional on still owning it: a run that stalled
    past its lease while another took over stops there, having changed nothing more.
    """

    def __init__(
        self, ledger: Ledger, endpoint: str, owner: str, ttl: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ledger = ledger
        self.endpoint = endpoint
        self.owner = owner
        self.ttl = ttl
        self._clock = clock
        self._renewed = clock()
        self.renewals = 0
        # Monotonic time the lease expires as of the last successful acquisition or renewal (renewed_at + ttl).
        self.deadline = self._renewed + ttl

    def clock(self) -> float:
        return self._clock()

    def __call__(self) -> None:
        if self._clock() - self._renewed < self.ttl / 3:
            return
        started = self._clock()
        try:
            lease = self.ledger.renew_lock(self.endpoint, self.owner, self.ttl)
        except Exception as exc:
            if isinstance(exc, LockLost) or not is_retryable(exc):
                raise
            self.tolerate(exc, f"renewing the lock on {self.endpoint}")
            return
        self._renewed = self._clock()
        self.deadline = started + self.ttl  # from before the renewal, as in fence()
        self.renewals += 1
        log.debug("renewed the lock on %s until %s", self.endpoint, lease.expires_at_iso)

    def tolerate(self, exc: BaseException, what: str) -> None:
        """`what` failed transiently while waiting: the wait may try again at its next poll while the lease is
        ours by our own clock. Past `deadline`, the lease is lost: raise LockLost."""
        left = self.deadline - self._clock()
        if left <= 0:
            raise LockLost(
                f"lost the lock on endpoint {self.endpoint}: {what} kept failing ({exc}) until the lease ran out "
                f"by this run's clock"
            ) from exc
        log.warning("%s failed (%s); trying again at the next poll (%.0fs of the lease left)", what, exc, left)

    def fence(self, action: str) -> None:
        started = self._clock()
        try:
            self.ledger.renew_lock(self.endpoint, self.owner, self.ttl)
        except LockLost as exc:
            raise LockHeldError(f"{exc}; stopped before {action}, so this run changed nothing after losing it") from exc
        took = self._clock() - started
        if took > self.ttl * FENCE_MARGIN:
            raise LockHeldError(
                f"renewing the lock on {self.endpoint} took {took:.0f}s of its {self.ttl}s lease: too little is left "
                f"to {action} safely; stopped before it (re-run when the ledger answers promptly)"
            )
        self._renewed = self._clock()
        self.deadline = started + self.ttl  # from before the renewal: the ledger wrote its expiry after that
        self.renewals += 1


class EndpointLock:
    """The lease on one stage's endpoint: `ttl` seconds long, waited for up to `wait` seconds, asked about
    every `poll` seconds (default: about as often as a rollout polls the endpoint, at most every 10 s).

    Callers hold the context's guard around it, so ledger errors arrive translated."""

    def __init__(
        self,
        context: StageContext,
        *,
        ttl: int,
        wait: float = 0.0,
        poll: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.context = context
        self.ttl = ttl
        self.wait = wait
        self.poll = poll
        self.clock = clock

    @contextmanager
    def held(self) -> Iterator[LockKeeper]:
        ledger = self.context.ledger()
        endpoint = self.context.endpoint
        owner = lock_owner(ledger.build_id)
        poll = self.poll
        if poll is None:
            poll = min(DEFAULT_LOCK_POLL_SECONDS, 2 * env.poll_seconds(), self.ttl / 3)
        ledger.acquire_lock(
            endpoint, owner, self.ttl, stage=self.context.stage, wait_seconds=self.wait, poll_seconds=poll
        )
        keeper = LockKeeper(ledger, endpoint, owner, self.ttl, self.clock)
        try:
            with self._send_deadline(keeper):
                yield keeper
        finally:
            try:
                ledger.release_lock(endpoint, owner)
            except Exception as exc:  # never hide the verb's own outcome; the lease expires by itself
                log.error("could not release the lock on %s (it expires in at most %ds): %s", endpoint, self.ttl, exc)

    @contextmanager
    def _send_deadline(self, keeper: LockKeeper) -> Iterator[None]:
        """While the lock is held, no mutating request leaves the target's clients past the lease deadline."""
        t = self.context.config.target
        clients = [(s, self.context.sessions.client(s, t.role_arn, t.region)) for s in TARGET_SERVICES]
        guard = SendDeadline(keeper)
        self.context.send_deadline = guard
        try:
            with guard.installed(clients):
                yield
        finally:
            self.context.send_deadline = None

    def describe(self) -> str:
        """The plan's line about the lock: free, or who holds it until when."""
        holder = self.context.ledger().lock_holder(self.context.endpoint)
        if holder is None:
            return "lock: free"
        if holder.problem:
            return f"lock: held by a {holder.problem}; a deploy now would fail with exit code 6 (deployer unlock)"
        return (
            f"lock: held by {holder.owner} (build {holder.build_id or '-'}) until {holder.expires_at_iso}; "
            "a deploy now would fail with exit code 6"
        )
