"""Upgrading a single-model ledger: copy its items to one model's keys (`deployer ledger-migrate`).

Before the platform served many models, the ledger table was one model's and its partitions were `STAGE#<stage>`
and `VERSION#<version>`. Each such item is copied to `MODEL#<model>#<its old key>` (same sort key, same attributes,
plus `model`), with a conditional put: an item already there is left as it is and counted. The legacy item stays
where it is (history is never deleted); it only gains `migrated_to` (the model) and `migrated_at`, in the same
transaction as its copy, so that a later run skips it instead of copying it again: a mark the deployer cleared
after the migration (a `rolled_back` mark a forced deploy lifted) is never brought back. A run that finds items
migrated to another model refuses before it writes anything. Leases (`LOCK#<endpoint>`) kept their keys.

It runs with the operator's credentials in the account of the table (Scan, GetItem, PutItem, UpdateItem,
TransactWriteItems on it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from deployer.ledger import dynamodb_items as items
from deployer.ledger.dynamodb_table import DynamoDBClient, Table
from deployer.ledger.models import LedgerInputError, check_model, iso

MIGRATED_TO = "migrated_to"
MIGRATED_AT = "migrated_at"
WORKERS = 8


class MigrationClient(DynamoDBClient, Protocol):
    """A dynamodb client that can also scan (the migration reads the whole table once)."""

    def scan(self, **kwargs: Any) -> Any: ...


@dataclass
class MigrationResult:
    """What a run found and did. `copied` counts what a dry run would copy."""

    table: str
    model: str
    dry_run: bool
    scanned: int = 0  # items read (every key)
    legacy: int = 0  # items under the single-model keys
    copied: int = 0  # copied to the model's keys now
    present: int = 0  # their copy was already there (left as it is)
    already_migrated: int = 0  # marked by an earlier run: skipped
    by_kind: dict[str, int] = field(default_factory=dict)  # legacy items by `kind` (history, mark, ...)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        verb = "would copy" if self.dry_run else "copied"
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.by_kind.items())) or "none"
        return [
            f"ledger table {self.table}: {self.legacy} legacy item(s) of {self.scanned} ({kinds})",
            f"{verb} {self.copied} to model {self.model} (keys {items.model_prefix(self.model)}...); "
            f"{self.present} already there, {self.already_migrated} migrated by an earlier run"
            + (" (dry run: nothing written)" if self.dry_run else ""),
        ]


def legacy_items(table: Table, client: MigrationClient) -> tuple[int, list[dict[str, Any]]]:
    """(items scanned, every item under a single-model key in its typed form), across all pages."""
    kwargs: dict[str, Any] = {
        "TableName": table.name,
        "ConsistentRead": True,
        "FilterExpression": "begins_with(pk, :stage) OR begins_with(pk, :version)",
        "ExpressionAttributeValues": {
            ":stage": items.s(items.LEGACY_STAGE_PREFIX),
            ":version": items.s(items.LEGACY_VERSION_PREFIX),
        },
    }
    scanned, found = 0, []
    while True:
        page = table.call("Scan", client.scan, **kwargs)
        scanned += int(page.get("ScannedCount", 0))
        found.extend(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return scanned, found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def migrate_legacy(
    client: MigrationClient,
    table_name: str,
    model: str,
    *,
    dry_run: bool = False,
    caller_arn: str = "",
    clock: Callable[[], float] = time.time,
) -> MigrationResult:
    """Copy every legacy item of `table_name` to `model`'s keys (see the module's docstring)."""
    try:
        check_model(model)
    except LedgerInputError as exc:
        raise LedgerInputError(f"--model: {exc}") from None
    table = Table(client, table_name, caller_arn)
    result = MigrationResult(table_name, model, dry_run)
    result.scanned, found = legacy_items(table, client)
    others = sorted({str(i[MIGRATED_TO]["S"]) for i in found if MIGRATED_TO in i} - {model})
    if others:
        raise LedgerInputError(
            f"ledger table {table_name}: legacy items were migrated to model {', '.join(others)} already; refusing "
            f"to copy them to {model} as well (allowed: --model {others[0]})"
        )
    result.legacy = len(found)
    for item in found:
        kind = str(item.get("kind", {}).get("S", "unknown"))
        result.by_kind[kind] = result.by_kind.get(kind, 0) + 1
    todo = [item for item in found if MIGRATED_TO not in item]
    result.already_migrated = len(found) - len(todo)
    at = iso(clock())
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(lambda item: _copy(table, item, model, at, dry_run), todo))
    result.copied = sum(outcomes)
    result.present = len(outcomes) - result.copied
    return result


def _copy(table: Table, legacy: dict[str, Any], model: str, at: str, dry_run: bool) -> bool:
    """Copy one legacy item; True when it was copied (or, in a dry run, would be), False when its copy exists."""
    target = items.legacy_pk_target(model, str(legacy["pk"]["S"]))
    assert target is not None  # legacy_items yields nothing else
    copy = {k: v for k, v in legacy.items() if k not in (MIGRATED_TO, MIGRATED_AT)}
    copy.update({"pk": items.s(target), "model": items.s(model)})
    key = {"pk": legacy["pk"], "sk": legacy["sk"]}
    if dry_run:
        return table.get({"pk": copy["pk"], "sk": copy["sk"]}) is None
    mark = {
        "Key": key,
        "UpdateExpression": "SET #to = :model, #at = :at",
        "ConditionExpression": "attribute_not_exists(#to)",
        "ExpressionAttributeNames": {"#to": MIGRATED_TO, "#at": MIGRATED_AT},
        "ExpressionAttributeValues": {":model": items.s(model), ":at": items.s(at)},
    }
    put = {"Item": copy, "ConditionExpression": "attribute_not_exists(pk)"}
    if table.transact([{"Put": put}, {"Update": mark}]):
        return True
    # The copy is there already (or another run marked the item meanwhile): mark it, if nobody has.
    table.conditional("UpdateItem", table.client.update_item, **mark)
    return False
