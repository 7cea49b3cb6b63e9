"""Shared by the ledger's test modules: a fake clock, a ledger table in the sandbox, ledgers on it."""

from __future__ import annotations

from typing import Any

from deployer.ledger import Ledger, MarkKind, dynamodb_ledger
from tests.conftest import Sandbox

ARN = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/{}"
DEV_ROLE = "arn:aws:sts::111111111111:assumed-role/churn-deployer-dev/build"


class FakeClock:
    """Epoch seconds that only move when a test (or the ledger's sleep) moves them."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def create_table(sandbox: Sandbox, name: str) -> str:
    """A ledger table shaped as Terraform creates it."""
    client: Any = sandbox.client("dynamodb")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    return name


def make_ledger(
    sandbox: Sandbox,
    table: str,
    clock: FakeClock | None = None,
    build_id: str = "churn-dev:b-1",
    *,
    model: str = "churn",
) -> Ledger:
    """`model`'s ledger on the table (models of one platform share it)."""
    client: Any = sandbox.client("dynamodb")
    if clock is None:
        return dynamodb_ledger(client, table, model=model, caller_arn=DEV_ROLE, build_id=build_id)
    return dynamodb_ledger(
        client, table, model=model, caller_arn=DEV_ROLE, build_id=build_id, clock=clock, sleep=clock.sleep
    )


def table_is_empty(sandbox: Sandbox, table: str) -> bool:
    """Nothing at all was written (a scan: this checks every item, whatever its key)."""
    client: Any = sandbox.client("dynamodb")
    return client.scan(TableName=table)["Items"] == []


def versions(ledger: Ledger, stage: str, kind: MarkKind) -> list[int]:
    """The versions that carry a mark of this kind, newest first."""
    return [mark.version for mark in ledger.marks(stage, kind)]


def to_legacy_layout(client: Any, table: str, model: str) -> int:
    """Rewrite `model`'s items the way the single-model deployer wrote them: partitions `STAGE#<stage>` and
    `VERSION#<version>`, no `model` attribute, leases (`LOCK#<endpoint>`) as they are. The model's items are
    moved, not copied: the table is then an installation from before the platform. Returns how many moved."""
    prefix = f"MODEL#{model}#"
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        found.extend(page["Items"])
        if not page.get("LastEvaluatedKey"):
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    moved = 0
    for item in found:
        if item.get("model", {}).get("S") != model:
            continue
        old = {k: v for k, v in item.items() if k != "model"}
        pk = item["pk"]["S"]
        if pk.startswith(prefix):
            old["pk"] = {"S": pk.removeprefix(prefix)}
            client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
            moved += 1
        client.put_item(TableName=table, Item=old)
    return moved
