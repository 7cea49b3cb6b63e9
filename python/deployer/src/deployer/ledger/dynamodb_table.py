"""Calls on the ledger table, with DynamoDB's errors mapped to the ledger's (naming the table and the caller)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from botocore.exceptions import ClientError

from deployer.aws_errors import is_access_denied
from deployer.ledger import dynamodb_items as items
from deployer.ledger.models import (
    CallerArn,
    LedgerAccessDenied,
    LedgerError,
    LedgerInputError,
    LedgerTableNotFound,
    caller_of,
)


class DynamoDBClient(Protocol):
    """The subset of a boto3 `dynamodb` client the ledger uses."""

    def put_item(self, **kwargs: Any) -> Any: ...
    def get_item(self, **kwargs: Any) -> Any: ...
    def update_item(self, **kwargs: Any) -> Any: ...
    def delete_item(self, **kwargs: Any) -> Any: ...
    def query(self, **kwargs: Any) -> Any: ...
    def transact_write_items(self, **kwargs: Any) -> Any: ...
    def batch_get_item(self, **kwargs: Any) -> Any: ...


BATCH_GET_KEYS = 100  # BatchGetItem's limit per call


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Table:
    """One ledger table reached through one client."""

    def __init__(self, client: DynamoDBClient, name: str, caller_arn: CallerArn = "") -> None:
        if not name:
            raise LedgerInputError("ledger.table_name is empty")
        self.client = client
        self.name = name
        self._caller = caller_of(caller_arn)  # only to name who was refused

    @property
    def caller_arn(self) -> str:
        try:
            return self._caller()
        except Exception:  # finding who we are failed too: the refusal is the error to report
            return ""

    def call(self, action: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """`fn(**kwargs)`, a client method; its errors name `dynamodb:<action>` and the table."""
        try:
            return fn(**kwargs)
        except ClientError as exc:
            mapped = self._mapped(action, exc)
            if mapped is None:
                raise
            raise mapped from exc

    def _mapped(self, action: str, exc: ClientError) -> LedgerError | None:
        message = exc.response.get("Error", {}).get("Message", "")
        if is_access_denied(exc):
            who = f" as {self.caller_arn}" if self.caller_arn else ""
            return LedgerAccessDenied(
                f"access denied: dynamodb:{action} on ledger table {self.name}{who}: {message}",
                action=f"dynamodb:{action} on ledger table {self.name}",
            )
        if error_code(exc) == "ResourceNotFoundException":
            return LedgerTableNotFound(
                f"ledger table {self.name} not found (dynamodb:{action}); check ledger.table_name, "
                "the registry account and region"
            )
        return None

    def conditional(self, action: str, fn: Callable[..., Any], **kwargs: Any) -> Any | None:
        """A conditional single-item write on this table: its response, or None when the condition did not hold."""
        try:
            return self.call(action, fn, TableName=self.name, **kwargs)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return None

    def transact(self, writes: list[dict[str, Any]]) -> bool:
        """One TransactWriteItems of {"Put": ...}/{"Delete": ...} (table name added). False when a condition failed."""
        operations = [{op: {"TableName": self.name, **body} for op, body in w.items()} for w in writes]
        try:
            self.call("TransactWriteItems", self.client.transact_write_items, TransactItems=operations)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = [str(r.get("Code", "None")) for r in reasons]
            if any(code not in ("None", "ConditionalCheckFailed") for code in codes):
                # Conflicts and throttling are not a "no": let the caller's retry policy see them.
                raise LedgerError(
                    f"dynamodb:TransactWriteItems on ledger table {self.name} was cancelled: {', '.join(codes)}"
                ) from exc
            return False
        return True

    def get(self, key: items.Item) -> dict[str, Any] | None:
        """One item, decoded, by consistent read."""
        response = self.call("GetItem", self.client.get_item, TableName=self.name, Key=key, ConsistentRead=True)
        item = response.get("Item")
        return items.plain(item) if item else None

    def query_pages(self, pk: str, sk_prefix: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Like `query`, one page at a time, so a reader that finds what it needs stops reading."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": items.s(pk), ":prefix": items.s(sk_prefix)},
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "Limit": page_size,
        }
        while True:
            page = self.call("Query", self.client.query, **kwargs)
            yield [items.plain(item) for item in page.get("Items", [])]
            if not page.get("LastEvaluatedKey"):
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def partition_pages(self, pk: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Every item of one partition, decoded, highest sort key first, one page at a time."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": items.s(pk)},
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "Limit": page_size,
        }
        while True:
            page = self.call("Query", self.client.query, **kwargs)
            yield [items.plain(item) for item in page.get("Items", [])]
            if not page.get("LastEvaluatedKey"):
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_many(self, keys: list[items.Item]) -> list[dict[str, Any]]:
        """The items of `keys` that exist, decoded, by consistent BatchGetItem (100 keys a call; what DynamoDB
        leaves unprocessed is asked for again)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET_KEYS):
            request: dict[str, Any] = {
                self.name: {"Keys": keys[start : start + BATCH_GET_KEYS], "ConsistentRead": True}
            }
            while request:
                page = self.call("BatchGetItem", self.client.batch_get_item, RequestItems=request)
                found.extend(items.plain(item) for item in page.get("Responses", {}).get(self.name, []))
                request = page.get("UnprocessedKeys") or {}
        return found

    def query(self, pk: str, sk_prefix: str, limit: int | None) -> list[dict[str, Any]]:
        """Items of one partition whose sort key starts with the prefix, decoded, newest (highest) first."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": items.s(pk), ":prefix": items.s(sk_prefix)},
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        found: list[dict[str, Any]] = []
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(found)
            page = self.call("Query", self.client.query, **kwargs)
            found.extend(items.plain(item) for item in page.get("Items", []))
            last = page.get("LastEvaluatedKey")
            if not last or (limit is not None and len(found) >= limit):
                return found
            kwargs["ExclusiveStartKey"] = last
