"""`DynamoDBStore`: one model's ledger in the platform's DynamoDB table (layout: `deployer.ledger.dynamodb_items`).

Writes that belong together (a mark and its history entry, a lease takeover and its history entry) are one
TransactWriteItems, so a failure never leaves half a record behind. Every read is consistent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from deployer.ledger import dynamodb_items as items
from deployer.ledger.dynamodb_table import DynamoDBClient, Table
from deployer.ledger.models import (
    CallerArn,
    HistoryEntry,
    Lease,
    LedgerAccessDenied,
    LedgerInputError,
    LedgerItemMalformed,
    Mark,
    MarkKind,
    check_model,
)

log = logging.getLogger(__name__)

PARTITION_PAGE = 200  # items per page of a whole-partition read (a stage's marks and newest history)


Record = TypeVar("Record")


def _readable(decode: Callable[[dict[str, Any]], Record], found: Iterable[dict[str, Any]]) -> list[Record]:
    """The items that decode; a malformed one (history, a mark) is skipped with a warning naming its key, so
    one bad item never stops every verb that reads the stage."""
    records: list[Record] = []
    for item in found:
        try:
            records.append(decode(item))
        except LedgerItemMalformed as exc:
            log.warning("ledger: skipped a %s", exc)
    return records


def _with_prefix(page: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [item for item in page if str(item.get("sk", "")).startswith(prefix)]


class Session(Protocol):
    """What the store needs of a boto3 `Session`: a client factory."""

    def client(self, service_name: str) -> Any: ...


class DynamoDBStore:
    """A `LedgerStore` of `model` on the DynamoDB table `table_name`, reached with `client` (or a client of
    `session`). Every key it reads or writes is the model's (leases: its endpoints'), so models sharing the
    table never see each other's history, marks or leases.

    The client must reach the account that holds the table (the registry role). `caller_arn` only serves
    to name the refused identity in access-denied errors.
    """

    def __init__(
        self,
        table_name: str,
        *,
        model: str,
        client: DynamoDBClient | None = None,
        session: Session | None = None,
        caller_arn: CallerArn = "",
    ) -> None:
        check_model(model)
        self.model = model
        if client is None:
            if session is None:
                raise LedgerInputError("a DynamoDB ledger store needs a dynamodb client or a boto3 session")
            client = session.client("dynamodb")
        self.table = Table(client, table_name, caller_arn)

    @property
    def client(self) -> DynamoDBClient:
        return self.table.client

    @property
    def table_name(self) -> str:
        return self.table.name

    # ------------------------------------------------------------------------------------------ history

    def append(self, entry: HistoryEntry) -> None:
        self.table.transact([{"Put": {"Item": item}} for item in items.history_items(self.model, entry)])

    def history(self, stage: str, limit: int | None) -> list[HistoryEntry]:
        found = self.table.query(items.stage_pk(self.model, stage), items.HISTORY_PREFIX, limit)
        return _readable(items.history_entry, found)

    def history_pages(self, stage: str, page_size: int) -> Iterator[list[HistoryEntry]]:
        for page in self.table.query_pages(items.stage_pk(self.model, stage), items.HISTORY_PREFIX, page_size):
            yield _readable(items.history_entry, page)

    def stage_records(self, stage: str, history_limit: int) -> tuple[list[Mark], list[HistoryEntry]]:
        """The stage's marks (all; as `marks(stage, None)` orders them) and its newest `history_limit` entries, from
        one partition read: marks sort after history (`MARK#` > `HISTORY#`), so a descending read meets them first."""
        marks: list[Mark] = []
        history: list[HistoryEntry] = []
        for page in self.table.partition_pages(items.stage_pk(self.model, stage), PARTITION_PAGE):
            marks.extend(_readable(items.mark, _with_prefix(page, items.MARK_PREFIX)))
            history.extend(_readable(items.history_entry, _with_prefix(page, items.HISTORY_PREFIX)))
            if len(history) >= history_limit:
                break
        return marks, history[:history_limit]

    def version_history(self, version: int, limit: int | None) -> list[HistoryEntry]:
        found = self.table.query(items.version_pk(self.model, version), items.HISTORY_PREFIX, limit)
        return _readable(items.history_entry, found)

    # ------------------------------------------------------------------------------------------ marks

    def put_mark(self, mark: Mark, entry: HistoryEntry, *, if_absent: bool, extra_versions: Sequence[int] = ()) -> bool:
        put: dict[str, Any] = {"Item": items.mark_item(self.model, mark)}
        if if_absent:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        history = items.history_items(self.model, entry, tuple(extra_versions))
        return self.table.transact([{"Put": put}, *({"Put": {"Item": item}} for item in history)])

    def delete_mark(self, stage: str, version: int, kind: MarkKind, entry: HistoryEntry) -> bool:
        delete = {
            "Key": items.mark_key(self.model, stage, version, kind),
            "ConditionExpression": "attribute_exists(pk)",
        }
        history = items.history_items(self.model, entry)
        return self.table.transact([{"Delete": delete}, *({"Put": {"Item": item}} for item in history)])

    def get_mark(self, stage: str, version: int, kind: MarkKind) -> Mark | None:
        item = self.table.get(items.mark_key(self.model, stage, version, kind))
        found = _readable(items.mark, [item] if item else [])
        return found[0] if found else None

    def marks(self, stage: str, kind: MarkKind | None) -> list[Mark]:
        found = self.table.query(items.stage_pk(self.model, stage), items.mark_prefix(kind), None)
        return _readable(items.mark, found)

    # ------------------------------------------------------------------------------------------ leases

    def get_lease(self, endpoint: str) -> Lease | None:
        item = self.table.get(items.lease_key(endpoint))
        return items.lease(endpoint, item) if item else None

    def get_leases(self, endpoints: Sequence[str]) -> dict[str, Lease]:
        """The stored leases of `endpoints` (expired or not), in as few reads as DynamoDB allows (BatchGetItem).
        Where the credentials may not BatchGetItem, one GetItem per endpoint."""
        try:
            found = self.table.get_many([items.lease_key(endpoint) for endpoint in dict.fromkeys(endpoints)])
        except LedgerAccessDenied:
            return {e: lease for e in endpoints if (lease := self.get_lease(e)) is not None}
        leases = (items.lease(str(item["pk"]).removeprefix(items.LEASE_PREFIX), item) for item in found)
        return {lease.endpoint: lease for lease in leases}

    def put_lease(self, lease: Lease) -> bool:
        # Free, or ours already (a retry by the same owner renews instead of deadlocking itself).
        response = self.table.conditional(
            "PutItem",
            self.client.put_item,
            Item=items.lease_item(self.model, lease),
            ConditionExpression="attribute_not_exists(pk) OR #owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": items.s(lease.owner)},
        )
        return response is not None

    def take_over_lease(self, lease: Lease, stale: Lease, now: int, entry: HistoryEntry) -> bool:
        put = {
            "Item": items.lease_item(self.model, lease),
            "ConditionExpression": "#token = :token AND expires_at < :now",
            "ExpressionAttributeNames": {"#token": "token"},
            "ExpressionAttributeValues": {":token": items.s(stale.token), ":now": items.n(now)},
        }
        history = items.history_items(self.model, entry)
        return self.table.transact([{"Put": put}, *({"Put": {"Item": item}} for item in history)])

    def break_lease(self, held: Lease, entry: HistoryEntry) -> bool:
        delete: dict[str, Any] = {"Key": items.lease_key(held.endpoint)}
        if held.token:
            delete["ConditionExpression"] = "#token = :token"
            delete["ExpressionAttributeNames"] = {"#token": "token"}
            delete["ExpressionAttributeValues"] = {":token": items.s(held.token)}
        else:
            # A malformed lease without a usable token. Nobody can have replaced it since it was read: a put
            # needs it absent or owned (owners are unique per run), a takeover needs its token.
            delete["ConditionExpression"] = "attribute_exists(pk)"
        history = items.history_items(self.model, entry)
        return self.table.transact([{"Delete": delete}, *({"Put": {"Item": item}} for item in history)])

    def renew_lease(self, endpoint: str, owner: str, expires_at: int) -> Lease | None:
        response = self.table.conditional(
            "UpdateItem",
            self.client.update_item,
            Key=items.lease_key(endpoint),
            UpdateExpression="SET expires_at = :exp",
            ExpressionAttributeValues={":exp": items.n(expires_at), ":owner": items.s(owner)},
            ReturnValues="ALL_NEW",
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
        )
        return None if response is None else items.lease(endpoint, items.plain(response["Attributes"]))

    def delete_lease(self, endpoint: str, owner: str) -> bool:
        response = self.table.conditional(
            "DeleteItem",
            self.client.delete_item,
            Key=items.lease_key(endpoint),
            ExpressionAttributeValues={":owner": items.s(owner)},
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
        )
        return response is not None
