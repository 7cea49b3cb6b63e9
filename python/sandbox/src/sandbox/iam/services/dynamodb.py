"""DynamoDB: `arn:...:dynamodb:<region>:<account>:table/<name>` (indexes `.../index/<name>`).

Item-level reads and writes carry dynamodb:LeadingKeys (the partition key values they touch). Transactions
have no IAM action of their own: each item is checked as the single-item action of its kind. Batch
operations keep their own action (dynamodb:BatchWriteItem / BatchGetItem), checked per item and table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import (
    Call,
    Ctx,
    Rule,
    arn_account,
    arn_region,
    as_dict,
    as_list,
    dispatch,
    is_arn,
)

_TRANSACT_ACTION = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_STAR = frozenset(
    {"ListTables", "ListBackups", "ListGlobalTables", "ListStreams", "DescribeLimits", "DescribeEndpoints"}
)
_ITEM_FIELD = {"PutItem": "Item", "GetItem": "Key", "UpdateItem": "Key", "DeleteItem": "Key"}
# `<name> = <:value>` or `<:value> = <name>` in a KeyConditionExpression (names may be #aliases).
_EQUALS = re.compile(r"([#\w.]+)\s*=\s*(:\w+)|(:\w+)\s*=\s*([#\w.]+)")


def table_arn(call: Call, table: str) -> str:
    return table.split("/index/", 1)[0] if is_arn(table) else call.arn("dynamodb", f"table/{table}")


def key_value(value: Any) -> str | None:
    """An AttributeValue as IAM sees it in dynamodb:LeadingKeys ({"S": "x"} -> "x")."""
    if isinstance(value, Mapping):
        for kind in ("S", "N", "B"):
            if kind in value:
                return str(value[kind])
    return None


class _HashKeys:
    """Partition key attribute of each table named in one request (one resolver lookup per table)."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.found: dict[str, str | None] = {}

    def __call__(self, table: str) -> str | None:
        if table not in self.found:
            account = arn_account(table) if is_arn(table) else self.call.account
            region = arn_region(table) if is_arn(table) else self.call.region
            self.found[table] = self.call.resolver.table_hash_key(account, region, table)
        return self.found[table]


def _leading(hash_keys: _HashKeys, table: str, item: Mapping[str, Any]) -> Ctx:
    name = hash_keys(table)
    if name is None and len(item) == 1:  # a one-attribute key is the partition key
        name = next(iter(item))
    value = key_value(item.get(name)) if name else None
    return {"dynamodb:leadingkeys": (value,)} if value is not None else {}


def _item(call: Call) -> list[Authorization]:
    table = call.param("TableName")
    item = as_dict(call.params.get(_ITEM_FIELD[call.operation]))
    return [call.auth(table_arn(call, table), context=_leading(_HashKeys(call), table, item))]


def _query_value(call: Call, hash_key: str) -> str | None:
    names = as_dict(call.params.get("ExpressionAttributeNames"))
    values = as_dict(call.params.get("ExpressionAttributeValues"))
    for m in _EQUALS.finditer(call.param("KeyConditionExpression")):
        name, placeholder = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if names.get(name, name) == hash_key:
            return key_value(values.get(placeholder))
    legacy = as_dict(as_dict(call.params.get("KeyConditions")).get(hash_key))
    found = as_list(legacy.get("AttributeValueList"))
    return key_value(found[0]) if found and legacy.get("ComparisonOperator") == "EQ" else None


def _query(call: Call) -> list[Authorization]:
    table = call.param("TableName")
    arn = table_arn(call, table)
    if call.param("IndexName"):
        arn = f"{arn}/index/{call.param('IndexName')}"
    hash_key = _HashKeys(call)(table)
    value = _query_value(call, hash_key) if hash_key else None
    return [call.auth(arn, context={"dynamodb:leadingkeys": (value,)} if value is not None else {})]


def _transact_write(call: Call) -> list[Authorization]:
    hash_keys, out = _HashKeys(call), []
    for entry in as_list(call.params.get("TransactItems")):
        for kind, spec in as_dict(entry).items():
            spec = as_dict(spec)
            table = str(spec.get("TableName", ""))
            item = as_dict(spec.get("Item" if kind == "Put" else "Key"))
            ctx = {**_leading(hash_keys, table, item), "dynamodb:enclosingoperation": (call.operation,)}
            out.append(call.auth(table_arn(call, table), _TRANSACT_ACTION.get(kind, kind), context=ctx))
    return out or [call.unknown("PutItem")]


def _transact_get(call: Call) -> list[Authorization]:
    hash_keys, out = _HashKeys(call), []
    for entry in as_list(call.params.get("TransactItems")):
        spec = as_dict(as_dict(entry).get("Get"))
        table = str(spec.get("TableName", ""))
        ctx = {**_leading(hash_keys, table, as_dict(spec.get("Key"))), "dynamodb:enclosingoperation": (call.operation,)}
        out.append(call.auth(table_arn(call, table), "GetItem", context=ctx))
    return out or [call.unknown("GetItem")]


def _batch_write(call: Call) -> list[Authorization]:
    hash_keys, out = _HashKeys(call), []
    for table, requests in as_dict(call.params.get("RequestItems")).items():
        for request in as_list(requests):
            put = as_dict(as_dict(request).get("PutRequest")).get("Item")
            item = (
                as_dict(put) if put is not None else as_dict(as_dict(as_dict(request).get("DeleteRequest")).get("Key"))
            )
            out.append(call.auth(table_arn(call, table), context=_leading(hash_keys, table, item)))
    return out or [call.unknown()]


def _batch_get(call: Call) -> list[Authorization]:
    hash_keys, out = _HashKeys(call), []
    for table, spec in as_dict(call.params.get("RequestItems")).items():
        for key in as_list(as_dict(spec).get("Keys")):
            out.append(call.auth(table_arn(call, table), context=_leading(hash_keys, table, as_dict(key))))
    return out or [call.unknown()]


def _generic(call: Call) -> list[Authorization]:
    if call.operation in _STAR:
        return [call.star()]
    arn = call.param("ResourceArn") or call.param("TableArn")
    if arn:
        return [call.auth(arn)]
    table = call.param("TableName")
    if not table:
        return [call.unknown()]
    arn = table_arn(call, table)
    if call.param("IndexName"):
        arn = f"{arn}/index/{call.param('IndexName')}"
    out = [call.auth(arn)]
    if call.operation == "CreateTable" and call.tag_context:
        out.append(call.auth(out[0].resource, "TagResource"))  # tags on create need dynamodb:TagResource
    return out


_RULES: dict[str, Rule] = {
    "GetItem": _item,
    "PutItem": _item,
    "UpdateItem": _item,
    "DeleteItem": _item,
    "Query": _query,
    "TransactWriteItems": _transact_write,
    "TransactGetItems": _transact_get,
    "BatchWriteItem": _batch_write,
    "BatchGetItem": _batch_get,
}


def rules(call: Call) -> list[Authorization]:
    return dispatch(call, _RULES, _generic)
