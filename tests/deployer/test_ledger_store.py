"""`LedgerStore`: the DynamoDB store satisfies it, and the `Ledger` facade works over another store (in memory)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from deployer.ledger import (
    Deployment,
    DynamoDBStore,
    HistoryEntry,
    Lease,
    Ledger,
    LedgerInputError,
    LedgerStore,
    LockHeld,
    Mark,
    MarkKind,
    Outcome,
)
from tests.conftest import Sandbox
from tests.deployer.ledger_support import ARN, FakeClock


class MemoryStore:
    """A `LedgerStore` in a few dicts: what a second backend has to provide, and nothing more."""

    def __init__(self) -> None:
        self.by_stage: dict[str, list[HistoryEntry]] = {}
        self.by_version: dict[int, list[HistoryEntry]] = {}
        self.mark_items: dict[tuple[str, int, MarkKind], Mark] = {}
        self.leases: dict[str, Lease] = {}

    def append(self, entry: HistoryEntry, extra_versions: Sequence[int] = ()) -> None:
        self.by_stage.setdefault(entry.stage, []).append(entry)
        for version in [entry.version, *extra_versions]:
            if version is not None:
                self.by_version.setdefault(version, []).append(dataclasses.replace(entry, version=version))

    def history(self, stage: str, limit: int | None) -> list[HistoryEntry]:
        return _newest(self.by_stage.get(stage, []), limit)

    def history_pages(self, stage: str, page_size: int) -> Iterator[list[HistoryEntry]]:
        entries = self.history(stage, None)
        for start in range(0, len(entries), page_size):
            yield entries[start : start + page_size]

    def version_history(self, version: int, limit: int | None) -> list[HistoryEntry]:
        return _newest(self.by_version.get(version, []), limit)

    def put_mark(self, mark: Mark, entry: HistoryEntry, *, if_absent: bool, extra_versions: Sequence[int] = ()) -> bool:
        key = (mark.stage, mark.version, MarkKind(mark.kind))
        if if_absent and key in self.mark_items:
            return False
        self.mark_items[key] = mark
        self.append(entry, extra_versions)
        return True

    def delete_mark(self, stage: str, version: int, kind: MarkKind, entry: HistoryEntry) -> bool:
        if self.mark_items.pop((stage, version, kind), None) is None:
            return False
        self.append(entry)
        return True

    def get_mark(self, stage: str, version: int, kind: MarkKind) -> Mark | None:
        return self.mark_items.get((stage, version, kind))

    def marks(self, stage: str, kind: MarkKind | None) -> list[Mark]:
        found = [m for (s, _, k), m in self.mark_items.items() if s == stage and kind in (None, k)]
        return sorted(found, key=lambda m: (m.kind, -m.version))

    def get_lease(self, endpoint: str) -> Lease | None:
        return self.leases.get(endpoint)

    def put_lease(self, lease: Lease) -> bool:
        held = self.leases.get(lease.endpoint)
        if held is not None and held.owner != lease.owner:
            return False
        self.leases[lease.endpoint] = lease
        return True

    def take_over_lease(self, lease: Lease, stale: Lease, now: int, entry: HistoryEntry) -> bool:
        held = self.leases.get(lease.endpoint)
        if held is None or held.token != stale.token or held.expires_at >= now:
            return False
        self.leases[lease.endpoint] = lease
        self.append(entry)
        return True

    def break_lease(self, held: Lease, entry: HistoryEntry) -> bool:
        current = self.leases.get(held.endpoint)
        if current is None or current.token != held.token:
            return False
        del self.leases[held.endpoint]
        self.append(entry)
        return True

    def renew_lease(self, endpoint: str, owner: str, expires_at: int) -> Lease | None:
        held = self.leases.get(endpoint)
        if held is None or held.owner != owner:
            return None
        self.leases[endpoint] = dataclasses.replace(held, expires_at=expires_at)
        return self.leases[endpoint]

    def delete_lease(self, endpoint: str, owner: str) -> bool:
        held = self.leases.get(endpoint)
        if held is None or held.owner != owner:
            return False
        del self.leases[endpoint]
        return True


def _newest(entries: list[HistoryEntry], limit: int | None) -> list[HistoryEntry]:
    ordered = sorted(entries, key=lambda e: (e.at, e.event_id), reverse=True)
    return ordered if limit is None else ordered[:limit]


def test_both_stores_satisfy_the_protocol(sandbox: Sandbox) -> None:
    client: Any = sandbox.client("dynamodb")
    dynamodb: LedgerStore = DynamoDBStore("churn-ledger", model="churn", client=client)  # mypy checks the shape here
    assert isinstance(dynamodb, LedgerStore)
    assert isinstance(MemoryStore(), LedgerStore)
    assert not isinstance(object(), LedgerStore)


def test_dynamodb_store_takes_a_client_or_a_session(sandbox: Sandbox) -> None:
    client: Any = sandbox.client("dynamodb")

    class Session:
        def client(self, service_name: str) -> Any:
            assert service_name == "dynamodb"
            return client

    assert DynamoDBStore("churn-ledger", model="churn", session=Session()).client is client
    with pytest.raises(LedgerInputError, match="needs a dynamodb client or a boto3 session"):
        DynamoDBStore("churn-ledger", model="churn")
    with pytest.raises(LedgerInputError, match="table_name is empty"):
        DynamoDBStore("", model="churn", client=client)


def test_the_facade_over_an_in_memory_store() -> None:
    clock = FakeClock()
    ledger = Ledger(MemoryStore(), caller_arn="me", build_id="b-1", clock=clock, sleep=clock.sleep)
    deployment = Deployment("dev", 3, ARN.format(3), "churn-dev")
    ledger.record_deployment(deployment, Outcome.STARTED)
    clock.now += 1
    ledger.record_deployment(deployment, Outcome.SUCCEEDED)
    assert [(e.result, e.build_id, e.caller_arn) for e in ledger.history("dev")] == [
        ("succeeded", "b-1", "me"),
        ("started", "b-1", "me"),
    ]
    assert [e.stage for e in ledger.version_history(3)] == ["dev", "dev"]

    assert ledger.record_verified("dev", 3, ARN.format(3)) is True
    assert ledger.record_verified("dev", 3, ARN.format(3)) is False
    assert ledger.is_verified("dev", 3)

    ledger.acquire_lock("churn-dev", "b-1", 60, stage="dev")
    with pytest.raises(LockHeld, match="locked by b-1"):
        ledger.acquire_lock("churn-dev", "b-2", 60, stage="dev")
    clock.now += 120
    assert ledger.acquire_lock("churn-dev", "b-2", 60, stage="dev").owner == "b-2"
    assert ledger.history("dev")[0].event == "lock_takeover"
