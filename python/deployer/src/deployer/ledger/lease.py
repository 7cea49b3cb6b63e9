"""Leases: one lock per endpoint, so that one rollout at a time changes it.

A lease lasts `ttl_seconds` and is renewed while its rollout runs. Only its owner may renew or release it; an
expired lease may be taken over by anyone, guarded by its token, and the takeover is recorded in the history.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence

from deployer.ledger.history import Author
from deployer.ledger.models import (
    Event,
    Lease,
    LedgerError,
    LedgerInputError,
    LockHeld,
    LockLost,
    Outcome,
    check_stage,
    check_ttl,
    iso,
    new_id,
)
from deployer.ledger.store import LedgerStore

log = logging.getLogger(__name__)

# A lease that changes under every attempt to take it (released, taken over by another) is looked at again, but
# only so often, with a pause between looks: never a loop without a bound or a sleep.
ACQUIRE_ATTEMPTS = 5
ACQUIRE_PAUSE_SECONDS = 0.2


class EndpointLeases:
    """The `Ledger`'s lease methods."""

    store: LedgerStore
    author: Author
    _sleep: Callable[[float], None]

    def lock_holder(self, endpoint: str) -> Lease | None:
        """The current lease on the endpoint, or None when free or expired."""
        lease = self.store.get_lease(endpoint)
        if lease is None or self._expired(lease):
            return None
        return lease

    def lock_holders(self, endpoints: Sequence[str]) -> dict[str, Lease]:
        """The current leases of `endpoints` (free or expired ones left out), read together where the store can
        (`get_leases`); one read each otherwise."""
        many = getattr(self.store, "get_leases", None)
        if many is not None:
            stored: dict[str, Lease] = many(endpoints)
        else:
            stored = {e: lease for e in endpoints if (lease := self.store.get_lease(e)) is not None}
        return {endpoint: lease for endpoint, lease in stored.items() if not self._expired(lease)}

    def acquire_lock(
        self,
        endpoint: str,
        owner: str,
        ttl_seconds: int,
        *,
        stage: str,
        wait_seconds: float = 0.0,
        poll_seconds: float = 5.0,
    ) -> Lease:
        """Take the endpoint's lease for `ttl_seconds`, waiting up to `wait_seconds` for a holder to let go.

        Raises LockHeld naming the holder, its build and when the lease expires.
        """
        check_stage(stage)
        if not endpoint or not owner:
            raise LedgerInputError("a lock needs an endpoint and an owner")
        check_ttl(ttl_seconds)
        if wait_seconds < 0 or poll_seconds <= 0:
            raise LedgerInputError("lock wait_seconds must be >= 0 and poll_seconds > 0")
        deadline = self.author.now() + wait_seconds
        while True:
            lease = self._try_acquire(endpoint, owner, ttl_seconds, stage)
            if lease.problem:  # waiting will not help: nothing expires it
                raise LockHeld(
                    f"endpoint {endpoint} is locked by a {lease.problem}; it cannot expire, so no rollout can take "
                    f"it: once no rollout of {endpoint} runs, break it with `deployer unlock --stage {stage} "
                    "--reason ...`",
                    lease,
                )
            if lease.owner == owner:
                return lease
            remaining = deadline - self.author.now()
            if remaining <= 0:
                waited = f" after waiting {wait_seconds:g}s" if wait_seconds else ""
                raise LockHeld(
                    f"endpoint {endpoint} is locked by {lease.owner} (build {lease.build_id or '-'}) "
                    f"until {lease.expires_at_iso}{waited}; another rollout is running, retry after it ends "
                    "or the lease expires",
                    lease,
                )
            log.info("ledger: %s is locked by %s until %s; waiting", endpoint, lease.owner, lease.expires_at_iso)
            self._sleep(min(poll_seconds, remaining))

    def renew_lock(self, endpoint: str, owner: str, ttl_seconds: int) -> Lease:
        """Extend our lease to now + ttl_seconds. Raises LockLost when the lease is no longer ours."""
        check_ttl(ttl_seconds)
        renewed = self.store.renew_lease(endpoint, owner, math.ceil(self.author.now() + ttl_seconds))
        if renewed is not None:
            return renewed
        held = self.store.get_lease(endpoint)
        holder = f"{held.owner} (build {held.build_id or '-'})" if held else "nobody"
        raise LockLost(f"lost the lock on endpoint {endpoint}: it is now held by {holder}")

    def break_lock(self, endpoint: str, *, stage: str, reason: str) -> Lease | None:
        """An operator breaks the lease on purpose (a run that died and left it): the lease is deleted and the
        history records who held it and why it was broken, in one atomic write. None when nothing held it."""
        check_stage(stage)
        if not reason.strip():
            raise LedgerInputError("breaking a lock needs a reason (it is recorded in the history)")
        held = self.store.get_lease(endpoint)
        if held is None:
            return None
        entry = self.author.entry(
            stage,
            Event.LOCK_BROKEN,
            Outcome.RECORDED,
            endpoint=endpoint,
            reason=reason.strip(),
            details={
                "previous_owner": held.owner,
                "previous_build_id": held.build_id,
                "previous_expires_at": held.expires_at_iso,
                **({"malformed": held.problem} if held.problem else {}),
            },
        )
        if not self.store.break_lease(held, entry):
            raise LockLost(f"the lock on endpoint {endpoint} changed while it was being broken; look again")
        log.warning("ledger: broke the lock on %s held by %s: %s", endpoint, held.owner, reason.strip())
        return held

    def release_lock(self, endpoint: str, owner: str) -> bool:
        """Release our lease. False (with a warning) when it was not ours any more; never raises for that."""
        if not self.store.delete_lease(endpoint, owner):
            # Called from cleanup paths: raising here would hide the error that got us there.
            log.warning("ledger: lock on %s was not held by %s at release", endpoint, owner)
            return False
        log.info("ledger: released lock on %s", endpoint)
        return True

    def _expired(self, lease: Lease) -> bool:
        if lease.problem:  # a malformed lease holds the endpoint until an operator breaks it
            return False
        # Whole seconds, exactly as the takeover's condition compares them.
        return lease.expires_at < math.floor(self.author.now())

    def _new_lease(self, endpoint: str, owner: str, ttl_seconds: int) -> Lease:
        now = self.author.now()
        return Lease(
            endpoint=endpoint,
            owner=owner,
            build_id=self.author.build_id,
            caller_arn=self.author.caller_arn,
            acquired_at=iso(now),
            expires_at=math.ceil(now + ttl_seconds),
            token=new_id(),
        )

    def _try_acquire(self, endpoint: str, owner: str, ttl_seconds: int, stage: str) -> Lease:
        """One attempt. Returns our lease, or the other holder's live (or malformed) lease."""
        for attempt in range(ACQUIRE_ATTEMPTS):
            if attempt:
                self._sleep(ACQUIRE_PAUSE_SECONDS)
            lease = self._new_lease(endpoint, owner, ttl_seconds)
            if self.store.put_lease(lease):
                log.info("ledger: locked %s for %s until %s", endpoint, owner, lease.expires_at_iso)
                return lease
            held = self.store.get_lease(endpoint)
            if held is None:
                continue  # released in between
            if not self._expired(held):
                return held
            if self._take_over(lease, held, stage):
                return lease
            # Someone else took the expired lease first: look again.
        raise LedgerError(
            f"the lock on endpoint {endpoint} changed under each of {ACQUIRE_ATTEMPTS} attempts to take it "
            "(released or taken over every time); try again"
        )

    def _take_over(self, lease: Lease, held: Lease, stage: str) -> bool:
        """Replace the expired `held` by `lease`, recording the takeover in the same atomic write."""
        entry = self.author.entry(
            stage,
            Event.LOCK_TAKEOVER,
            Outcome.RECORDED,
            endpoint=lease.endpoint,
            reason=f"lease of {held.owner} expired at {held.expires_at_iso}",
            details={
                "previous_owner": held.owner,
                "previous_build_id": held.build_id,
                "previous_expires_at": held.expires_at_iso,
                "owner": lease.owner,
            },
        )
        if not self.store.take_over_lease(lease, held, math.floor(self.author.now()), entry):
            return False
        log.warning(
            "ledger: took over the expired lock on %s from %s (build %s, expired %s)",
            lease.endpoint,
            held.owner,
            held.build_id or "-",
            held.expires_at_iso,
        )
        return True
