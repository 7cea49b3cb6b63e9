"""DynamoDB `Query` on a table reads only the partition asked for, as DynamoDB does.

moto keeps a table's items by partition already (`Table.items[hash key][range key]`), but its `Table.query`
builds the candidates from `all_items()`: every item of the table, sorted by (hash key, range key), then keeps
those of the partition. So each Query costs time in proportion to the whole table (about 12 ms at 1,000
items), where DynamoDB reads the partition alone: a ledger shared by many models made `deployer status`
slow on the sandbox only.

The patch changes where the candidates come from, nothing else: while moto's own `Table.query` runs for a
query on the table's primary key, `Table.all_items` answers that table's partition (its items sorted by range
key, which is the order moto's full sort gives within one partition). Sorting, pagination, limits, size
limits, key conditions, filters and projections stay moto's. Queries on an index (GSI, LSI) and everything else
that reads `all_items` (Scan, exports, backups) are left as they were. The partition is handed over
thread-locally, so concurrent requests on the same table never see each other's.

`SANDBOX_DYNAMODB_QUERY=moto` at start leaves moto's query as it is (the bench measures the difference).
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from sandbox.ext import _patch

log = logging.getLogger(__name__)
_local = threading.local()


def partition_items(table: Table, hash_key: DynamoType) -> list[Item]:
    """The items of one partition in moto's query order (range key ascending); [] when there are none.

    `Table.items` is a defaultdict: read it with `get`, never by index, or a query would add empty partitions."""
    partition = table.items.get(hash_key)
    if partition is None:
        return []
    if not table.range_key_attr:
        return [partition]
    return sorted(partition.values(), key=lambda item: item.range_key)


def _wrap_query(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)  # moto's backend passes index_name by position

    def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
        index_name = signature.bind(self, hash_key, *args, **kwargs).arguments.get("index_name")
        if index_name or not isinstance(hash_key, DynamoType):
            return original(self, hash_key, *args, **kwargs)
        previous = getattr(_local, "partition", None)
        _local.partition = (self, partition_items(self, hash_key))
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            _local.partition = previous

    return query


def _wrap_all_items(original: Callable[..., Any]) -> Callable[..., Any]:
    def all_items(self: Table) -> list[Item]:
        handed = getattr(_local, "partition", None)
        if handed is not None and handed[0] is self:
            return list(handed[1])
        return list(original(self))

    return all_items


def apply() -> None:
    if os.environ.get("SANDBOX_DYNAMODB_QUERY") == "moto":  # moto's full-table read, to measure the difference
        log.info("SANDBOX_DYNAMODB_QUERY=moto: Query reads the whole table, as moto does")
        return
    _patch.wrap(Table, "query", _wrap_query)
    _patch.wrap(Table, "all_items", _wrap_all_items)
