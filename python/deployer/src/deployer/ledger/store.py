"""`LedgerStore`: the storage the `Ledger` facade writes through.

The facade decides *what* to record (validation, timestamps, who and which build); a store only keeps it. Each
method is one atomic write or one consistent read. Methods that take an `entry` write it in the same atomic step
as their own change, so a failure never leaves a mark or a takeover without its history.

History entries are filed twice: under their stage and, when they carry one, under their version
(`extra_versions` files the same entry under further versions as well).

Conditional writes return False when their condition does not hold (nothing written); every other failure raises
a `LedgerError` (or lets the backend's retryable error through, so the caller's retry policy sees it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from deployer.ledger.models import HistoryEntry, Lease, Mark, MarkKind


@runtime_checkable
class LedgerStore(Protocol):
    # ------------------------------------------------------------------------------------------ history

    def append(self, entry: HistoryEntry) -> None:
        """Append one history entry."""

    def history(self, stage: str, limit: int | None) -> list[HistoryEntry]:
        """The stage's entries, newest first (at most `limit`)."""

    def history_pages(self, stage: str, page_size: int) -> Iterator[list[HistoryEntry]]:
        """The stage's entries, newest first, a page at a time (read lazily)."""
        ...

    def version_history(self, version: int, limit: int | None) -> list[HistoryEntry]:
        """One version's entries across every stage, newest first (at most `limit`)."""

    # ------------------------------------------------------------------------------------------ marks

    def put_mark(self, mark: Mark, entry: HistoryEntry, *, if_absent: bool, extra_versions: Sequence[int] = ()) -> bool:
        """Write the mark with its entry. With `if_absent`, False (nothing written) when the mark exists."""

    def delete_mark(self, stage: str, version: int, kind: MarkKind, entry: HistoryEntry) -> bool:
        """Delete the mark with its entry. False (nothing written) when there is no such mark."""

    def get_mark(self, stage: str, version: int, kind: MarkKind) -> Mark | None: ...

    def marks(self, stage: str, kind: MarkKind | None) -> list[Mark]:
        """The stage's marks (of one kind, or all), newest version first within each kind."""

    # ------------------------------------------------------------------------------------------ leases

    def get_lease(self, endpoint: str) -> Lease | None:
        """The stored lease, expired or not."""

    def put_lease(self, lease: Lease) -> bool:
        """Store the lease if none is stored or the stored one has the same owner; else False."""

    def take_over_lease(self, lease: Lease, stale: Lease, now: int, entry: HistoryEntry) -> bool:
        """Replace `stale` (same token, expired before `now`) by `lease`, with the entry; else False."""

    def break_lease(self, held: Lease, entry: HistoryEntry) -> bool:
        """Delete `held` (still the same lease: its token) and append `entry`, atomically."""
        ...

    def renew_lease(self, endpoint: str, owner: str, expires_at: int) -> Lease | None:
        """Move the owner's lease to `expires_at`; None when the stored lease is not the owner's."""

    def delete_lease(self, endpoint: str, owner: str) -> bool:
        """Delete the owner's lease; False when the stored lease is not the owner's."""
