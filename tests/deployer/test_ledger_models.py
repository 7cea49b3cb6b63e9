"""One ledger table, many models: every key carries the model, so models of the platform never see each other's
history, marks or leases (the contract the Terraform side's `dynamodb:LeadingKeys` conditions are written for)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from deployer.ledger import Deployment, DynamoDBStore, LedgerInputError, LockHeld, MarkKind, Outcome, dynamodb_ledger
from deployer.ledger import dynamodb_items as items
from tests.conftest import Sandbox
from tests.deployer.ledger_support import ARN, FakeClock, create_table, make_ledger
from tests.support.probes import Body


@pytest.fixture
def table(sandbox: Sandbox, unique: Callable[[str], str]) -> str:
    return create_table(sandbox, unique("platform-ledger"))


def scan(sandbox: Sandbox, table: str) -> list[dict[str, Any]]:
    client: Any = sandbox.client("dynamodb")
    return [items.plain(item) for item in client.scan(TableName=table, ConsistentRead=True)["Items"]]


def test_the_key_layout_names_the_model() -> None:
    assert items.stage_pk("churn", "dev") == "MODEL#churn#STAGE#dev"
    assert items.version_pk("churn", 3) == "MODEL#churn#VERSION#3"
    assert items.mark_key("churn", "dev", 3, MarkKind.VERIFIED) == {
        "pk": {"S": "MODEL#churn#STAGE#dev"},
        "sk": {"S": "MARK#verified#0000000003"},
    }
    assert items.lease_key("churn-dev") == {"pk": {"S": "LOCK#churn-dev"}, "sk": {"S": "LOCK"}}
    assert items.model_prefix("churn") == "MODEL#churn#"
    # `#` is not in a model name: one model's prefix is never the start of another's keys
    assert not items.stage_pk("churn-v2", "dev").startswith(items.model_prefix("churn"))
    assert items.legacy_pk_target("churn", "STAGE#dev") == "MODEL#churn#STAGE#dev"
    assert items.legacy_pk_target("churn", "VERSION#12") == "MODEL#churn#VERSION#12"
    assert items.legacy_pk_target("churn", "LOCK#churn-dev") is None
    assert items.legacy_pk_target("churn", "MODEL#churn#STAGE#dev") is None


def test_two_models_in_one_table_see_only_their_own_records(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    churn = make_ledger(sandbox, table, clock, model="churn")
    fraud = make_ledger(sandbox, table, clock, model="fraud")

    deployment = Deployment("dev", 3, ARN.format(3), "churn-dev", "churn-dev-v3-abc", "canary")
    churn.record_deployment(deployment, Outcome.STARTED)
    clock.now += 60
    churn.record_deployment(deployment, Outcome.SUCCEEDED)
    assert churn.record_verified("dev", 3, ARN.format(3)) is True
    churn.record_rollback("dev", from_version=4, to_version=3, endpoint="churn-dev", reason="bad")
    churn.acquire_lock("churn-dev", "build-churn", 60, stage="dev")

    # the same stage names and versions, another model: nothing of churn's is visible, nor in the way
    assert fraud.history("dev") == [] and fraud.version_history(3) == []
    assert fraud.marks("dev") == [] and not fraud.is_verified("dev", 3)
    assert fraud.lock_holder("fraud-dev") is None
    assert fraud.record_verified("dev", 3, ARN.format(3)) is True  # not "already recorded": churn's is churn's
    fraud.acquire_lock("fraud-dev", "build-fraud", 60, stage="dev")

    assert [e.result for e in churn.history("dev") if e.event == "deployment"] == ["succeeded", "started"]
    assert sorted((m.kind, m.version) for m in churn.marks("dev")) == [("rolled_back", 4), ("verified", 3)]
    assert [(m.kind, m.version) for m in fraud.marks("dev")] == [("verified", 3)]
    assert [e.event for e in fraud.history("dev")] == ["verified"]
    holder = churn.lock_holder("churn-dev")
    assert holder is not None and holder.owner == "build-churn"
    with pytest.raises(LockHeld):  # a lease is its endpoint's, and endpoint names are the model's own
        churn.acquire_lock("churn-dev", "another", 60, stage="dev")

    # every item carries its model, and every key but a lease's starts with the model's prefix
    stored = scan(sandbox, table)
    assert {item["model"] for item in stored} == {"churn", "fraud"}
    for item in stored:
        if item["kind"] == "lock":
            assert item["pk"] == f"LOCK#{item['endpoint']}" and item["endpoint"].startswith(item["model"])
        else:
            assert item["pk"].startswith(f"MODEL#{item['model']}#"), item
    assert {item["pk"] for item in stored if item["model"] == "fraud"} == {
        "MODEL#fraud#STAGE#dev",
        "MODEL#fraud#VERSION#3",
        "LOCK#fraud-dev",
    }


def test_a_store_needs_a_model_name(sandbox: Sandbox, table: str) -> None:
    client: Any = sandbox.client("dynamodb")
    for bad in ("", "Churn", "churn#dev", "x" * 41):
        with pytest.raises(LedgerInputError, match=r"invalid model .*\^\[a-z0-9-\]\{1,40\}\$"):
            DynamoDBStore(table, model=bad, client=client)
    assert DynamoDBStore(table, model="churn", client=client).model == "churn"


def test_a_stages_records_and_many_leases_in_few_reads(sandbox: Sandbox, table: str) -> None:
    """What `status` reads of each stage: its marks and newest history in one partition read, and the leases of
    every endpoint in one BatchGetItem (one GetItem each where the credentials may not batch)."""
    clock = FakeClock()
    ledger = make_ledger(sandbox, table, clock, model="churn")
    for version in (1, 2, 3):
        deployment = Deployment("dev", version, ARN.format(version), "churn-dev", f"churn-dev-v{version}-abc")
        ledger.record_deployment(deployment, Outcome.SUCCEEDED)
        ledger.record_verified("dev", version, ARN.format(version))
        clock.now += 60
    ledger.record_rollback("dev", from_version=3, to_version=2, endpoint="churn-dev", reason="bad")

    marks, history = ledger.stage_records("dev", history_limit=4)
    assert marks == ledger.marks("dev") and len(marks) == 4  # 3 verified, 1 rolled back: all of them
    assert history == ledger.history("dev", limit=4)
    assert ledger.stage_records("fraud-stage")[0] == []

    ledger.acquire_lock("churn-dev", "held", 600, stage="dev")
    ledger.acquire_lock("churn-staging", "stale", 60, stage="staging")
    clock.now += 120  # staging's lease expired: free, as lock_holder says
    ledger.acquire_lock("churn-prod", "held-too", 600, stage="prod")
    client: Any = sandbox.client("dynamodb")
    calls: list[str] = []
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    churn = dynamodb_ledger(client, table, model="churn", clock=clock)
    endpoints = ["churn-dev", "churn-staging", "churn-prod", "churn-none"]
    held = churn.lock_holders(endpoints)
    assert {e: lease.owner for e, lease in held.items()} == {"churn-dev": "held", "churn-prod": "held-too"}
    assert calls == ["BatchGetItem"]

    def denied(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        body = {"__type": "AccessDeniedException", "message": "not authorized to perform: dynamodb:BatchGetItem"}
        return AWSResponse(request.url, 400, {}, Body(json.dumps(body).encode()))

    client.meta.events.register("before-send.dynamodb.BatchGetItem", denied)
    calls.clear()
    assert churn.lock_holders(endpoints) == held
    assert calls == ["BatchGetItem", *["GetItem"] * 4]
