"""DynamoDB Query reads only the partition asked for (`sandbox.ext.dynamodb_query`), with moto's answers unchanged.

In process: moto's own `Table.query` and the sandbox's, on the same table, give the same items, counts and
`LastEvaluatedKey` for every kind of query, while the sandbox's never reads the whole table. Through the server:
the queries the ledger makes (marks and history of one partition, newest first, paged) answer what a Scan of
the table says that partition holds; an index query still sees every partition; querying a partition that
does not exist creates nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from sandbox.ext import dynamodb_query
from sandbox.harness import Sandbox

SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]


def _s(value: str) -> DynamoType:
    return DynamoType({"S": value})


@pytest.fixture
def tables() -> Iterator[tuple[Table, list[int]]]:
    """A table whose class has the sandbox's query over a spy of moto's full read (the spy counts its items)."""
    full_reads: list[int] = []

    def spy(self: Table) -> Any:
        items = Table.all_items(self)
        full_reads.append(len(items))
        return items

    cls = type(
        "PartitionTable",
        (Table,),
        {"query": dynamodb_query._wrap_query(Table.query), "all_items": dynamodb_query._wrap_all_items(spy)},
    )
    table = cls("t", "111111111111", "us-east-1", SCHEMA, ATTRS)
    for p in range(12):
        for s in range(25):
            table.put_item({"pk": {"S": f"MODEL#m{p:02d}#STAGE#dev"}, "sk": {"S": f"H#{s:03d}"}, "n": {"N": str(s)}})
        table.put_item({"pk": {"S": f"MODEL#m{p:02d}#STAGE#dev"}, "sk": {"S": "MARK#v1"}, "n": {"N": "0"}})
    yield table, full_reads


QUERIES: list[tuple[str, Callable[[], dict[str, Any]]]] = [
    ("whole partition", lambda: {}),
    ("descending, limit", lambda: {"scan_index_forward": False, "limit": 7}),
    ("begins_with", lambda: {"range_comparison": "BEGINS_WITH", "range_objs": [_s("H#01")]}),
    ("between", lambda: {"range_comparison": "BETWEEN", "range_objs": [_s("H#005"), _s("H#010")]}),
    ("after a start key", lambda: {"exclusive_start_key": {"pk": {"S": "MODEL#m03#STAGE#dev"}, "sk": {"S": "H#020"}}}),
    ("projection", lambda: {"projection_expressions": [["sk"]]}),
]


def _query(table: Table, owner: type[Table], hash_key: str, **kwargs: Any) -> Any:
    args = {
        "range_comparison": None,
        "range_objs": [],
        "limit": None,
        "exclusive_start_key": None,
        "scan_index_forward": True,
        "projection_expressions": None,
        **kwargs,
    }
    items, scanned, last = owner.query(table, _s(hash_key), *args.values())
    return [item.to_json() for item in items], scanned, last


@pytest.mark.parametrize("name,kwargs", QUERIES, ids=[q[0] for q in QUERIES])
def test_query_answers_as_moto_does_reading_only_the_partition(
    tables: tuple[Table, list[int]], name: str, kwargs: Callable[[], dict[str, Any]]
) -> None:
    table, full_reads = tables
    theirs = _query(table, Table, "MODEL#m03#STAGE#dev", **kwargs())  # moto's query: reads all 312 items
    assert full_reads == [312]
    ours = _query(table, type(table), "MODEL#m03#STAGE#dev", **kwargs())
    assert ours == theirs
    assert full_reads == [312], "the sandbox's query read the whole table"
    assert theirs[0], name  # every case finds something


def test_a_missing_partition_is_empty_and_not_created(tables: tuple[Table, list[int]]) -> None:
    table, full_reads = tables
    assert _query(table, type(table), "MODEL#nobody#STAGE#dev") == ([], 0, None)
    assert len(table.items) == 12 and full_reads == []
    assert dynamodb_query.partition_items(table, _s("MODEL#nobody")) == []


def test_everything_else_still_reads_the_whole_table(tables: tuple[Table, list[int]]) -> None:
    table, full_reads = tables
    assert len(table.all_items()) == 312 and full_reads == [312]


def test_a_table_without_range_key_answers_its_one_item() -> None:
    cls = type(
        "HashOnly",
        (Table,),
        {
            "query": dynamodb_query._wrap_query(Table.query),
            "all_items": dynamodb_query._wrap_all_items(Table.all_items),
        },
    )
    table = cls("h", "111111111111", "us-east-1", SCHEMA[:1], ATTRS[:1])
    for key in ("a", "b", "c"):
        table.put_item({"pk": {"S": key}, "v": {"S": key.upper()}})
    items, scanned, last = cls.query(table, _s("b"), None, [], None, None, True, None)
    assert ([i.to_json() for i in items], scanned, last) == (
        [{"Attributes": {"pk": {"S": "b"}, "v": {"S": "B"}}}],
        1,
        None,
    )


# ------------------------------------------------------------------------------------------- through the server


def test_ledger_queries_through_the_server(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    ddb = sandbox.client("dynamodb")
    name = unique("q")
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[*ATTRS, {"AttributeName": "kind", "AttributeType": "S"}],
        KeySchema=SCHEMA,
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    for p in range(8):
        with_marks = p % 2 == 0
        for s in range(30):
            item = {"pk": {"S": f"MODEL#m{p}#STAGE#dev"}, "sk": {"S": f"HISTORY#{s:04d}"}, "kind": {"S": "history"}}
            ddb.put_item(TableName=name, Item=item)
        if with_marks:
            ddb.put_item(TableName=name, Item={"pk": {"S": f"MODEL#m{p}#STAGE#dev"}, "sk": {"S": "~MARK#v1"}})
    everything = ddb.scan(TableName=name)["Items"]

    def expected(pk: str, forward: bool = True) -> list[dict[str, Any]]:
        return sorted((i for i in everything if i["pk"]["S"] == pk), key=lambda i: i["sk"]["S"], reverse=not forward)

    pk = "MODEL#m2#STAGE#dev"
    key = {":pk": {"S": pk}}
    answer = ddb.query(TableName=name, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=key)
    assert answer["Items"] == expected(pk) and answer["Count"] == answer["ScannedCount"] == 31

    # newest first, paged by 12, as the ledger reads marks and history together
    pages, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = ddb.query(
            TableName=name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=key,
            ScanIndexForward=False,
            Limit=12,
            **extra,
        )
        pages.append(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert [len(p) for p in pages] == [12, 12, 7]
    assert [i for p in pages for i in p] == expected(pk, forward=False)

    # a key condition on the sort key, a filter, a count
    prefix = ddb.query(
        TableName=name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
        FilterExpression="attribute_exists(kind)",
        ExpressionAttributeValues={**key, ":h": {"S": "HISTORY#001"}},
    )
    assert [i["sk"]["S"] for i in prefix["Items"]] == [f"HISTORY#{s:04d}" for s in range(10, 20)]
    count = ddb.query(TableName=name, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=key, Select="COUNT")
    assert count["Count"] == 31 and "Items" not in count

    # an index query still reads every partition
    by_kind = ddb.query(
        TableName=name,
        IndexName="by-kind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "history"}},
    )
    assert by_kind["Count"] == 8 * 30

    # a partition that does not exist: nothing found, nothing created
    none = ddb.query(
        TableName=name, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "MODEL#x#STAGE#dev"}}
    )
    assert none["Items"] == [] and none["Count"] == 0
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == len(everything) == 8 * 30 + 4
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 8 * 30 + 4
