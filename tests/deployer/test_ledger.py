"""The deployment ledger against the sandbox's DynamoDB: history, marks, rollbacks and the endpoint lease lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer.ledger import (
    Deployment,
    Ledger,
    LedgerAccessDenied,
    LedgerInputError,
    LedgerTableNotFound,
    LockHeld,
    LockLost,
    MarkKind,
    Result,
)
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


@pytest.fixture
def table(sandbox: Sandbox, unique: Callable[[str], str]) -> str:
    """A fresh ledger table shaped as Terraform creates it."""
    name = unique("ledger")
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
    sandbox: Sandbox, table: str, clock: FakeClock | None = None, build_id: str = "churn-dev:b-1"
) -> Ledger:
    client: Any = sandbox.client("dynamodb")
    if clock is None:
        return Ledger(client, table, caller_arn=DEV_ROLE, build_id=build_id)
    return Ledger(
        client,
        table,
        caller_arn=DEV_ROLE,
        build_id=build_id,
        clock=clock,
        sleep=clock.sleep,
    )


def raw_items(sandbox: Sandbox, table: str) -> list[dict[str, Any]]:
    client: Any = sandbox.client("dynamodb")
    return list(client.scan(TableName=table)["Items"])


# ------------------------------------------------------------------------------------------------ history


def test_deployment_history_by_stage_and_by_version(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    ledger = make_ledger(sandbox, table, clock)
    first = Deployment("dev", 3, ARN.format(3), "churn-dev", "churn-dev-v3-abc123", "canary")
    ledger.record_deployment(first, Result.STARTED)
    clock.now += 60
    ledger.record_deployment(first, "succeeded")
    clock.now += 60
    staging = Deployment("staging", 3, ARN.format(3), "churn-staging", "churn-staging-v3-abc123", "linear")
    ledger.record_deployment(staging, Result.FAILED, reason="alarm churn-staging-invocation-5xx in ALARM")

    dev = ledger.history("dev")
    assert [(e.result, e.deployment_id) for e in dev] == [
        ("succeeded", first.deployment_id),
        ("started", first.deployment_id),
    ]
    newest = dev[0]
    assert newest.event == "deployment"
    assert newest.version == 3
    assert newest.model_package_arn == ARN.format(3)
    assert newest.endpoint == "churn-dev"
    assert newest.endpoint_config == "churn-dev-v3-abc123"
    assert newest.strategy == "canary"
    assert newest.caller_arn == DEV_ROLE
    assert newest.build_id == "churn-dev:b-1"
    assert newest.at == "2027-01-15T08:01:00.000000Z"

    across = ledger.version_history(3)
    assert [(e.stage, e.result) for e in across] == [("staging", "failed"), ("dev", "succeeded"), ("dev", "started")]
    assert across[0].reason == "alarm churn-staging-invocation-5xx in ALARM"
    assert ledger.version_history(4) == []
    assert len(ledger.history("dev", limit=1)) == 1


def test_history_pages_through_more_items_than_one_query_returns(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    ledger = make_ledger(sandbox, table, clock)
    deployment = Deployment("dev", 1, ARN.format(1), "churn-dev")
    for _ in range(7):
        clock.now += 1
        ledger.record_deployment(deployment, Result.NO_OP)
    assert len(ledger.history("dev", limit=None)) == 7
    assert len(ledger.history("dev", limit=5)) == 5


@pytest.mark.parametrize(
    ("deployment", "result", "reason", "message"),
    [
        (Deployment("Dev", 1, ARN.format(1), "e"), "started", "", "invalid stage 'Dev'"),
        (Deployment("dev", 0, ARN.format(1), "e"), "started", "", "invalid model version 0"),
        (Deployment("dev", 1, ARN.format(1), "e"), "done", "", "invalid deployment result 'done'"),
        (Deployment("dev", 1, ARN.format(1), "e"), "failed", "", "needs a reason"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    sandbox: Sandbox, table: str, deployment: Deployment, result: str, reason: str, message: str
) -> None:
    ledger = make_ledger(sandbox, table)
    with pytest.raises(LedgerInputError, match=message):
        ledger.record_deployment(deployment, result, reason)
    assert raw_items(sandbox, table) == []


# ------------------------------------------------------------------------------------------------ marks


def test_verified_marks_are_idempotent_and_listed_newest_version_first(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    ledger = make_ledger(sandbox, table, clock)
    assert ledger.record_verified("dev", 2, ARN.format(2), endpoint="churn-dev") is True
    clock.now += 10
    assert ledger.record_verified("dev", 10, ARN.format(10)) is True
    assert ledger.record_verified("dev", 9, ARN.format(9)) is True
    clock.now += 10
    # A repeat (say after the promotion step failed later on) changes nothing: the mark keeps its first time.
    assert ledger.record_verified("dev", 2, ARN.format(2)) is False

    assert ledger.verified_versions("dev") == [10, 9, 2]
    assert ledger.is_verified("dev", 2)
    assert not ledger.is_verified("dev", 3)
    assert not ledger.is_verified("staging", 2)
    mark = ledger.get_mark("dev", 2, MarkKind.VERIFIED)
    assert mark is not None
    assert mark.at == "2027-01-15T08:00:00.000000Z"
    assert mark.model_package_arn == ARN.format(2)
    assert mark.caller_arn == DEV_ROLE
    # The mark and its history entry are one transaction, so the refused repeat left no second entry.
    verified = [e for e in ledger.version_history(2) if e.event == "verified"]
    assert len(verified) == 1
    assert verified[0].endpoint == "churn-dev"


def test_forced_rollback_records_reason_mark_and_history(sandbox: Sandbox, table: str) -> None:
    ledger = make_ledger(sandbox, table)
    ledger.record_verified("prod", 5, ARN.format(5))
    with pytest.raises(LedgerInputError, match="needs a reason"):
        ledger.record_rollback("prod", from_version=5, to_version=4, endpoint="churn-prod", reason=" ")

    entry = ledger.record_rollback(
        "prod",
        from_version=5,
        to_version=4,
        endpoint="churn-prod",
        reason="version 5 Rejected: drift on tenure",
        model_package_arn=ARN.format(4),
        endpoint_config="churn-prod-v4-aaa",
    )
    assert entry.details == {"from_version": "5", "to_version": "4"}
    assert ledger.rolled_back_versions("prod") == [5]
    # Verification stays true history; resolve combines it with the rolled-back mark.
    assert ledger.verified_versions("prod") == [5]
    mark = ledger.get_mark("prod", 5, "rolled_back")
    assert mark is not None
    assert mark.reason == "version 5 Rejected: drift on tenure"
    assert [e.event for e in ledger.version_history(5)] == ["rollback", "verified"]
    assert [e.event for e in ledger.version_history(4)] == ["rollback"]
    assert ledger.history("prod")[0].reason == "version 5 Rejected: drift on tenure"
    assert {m.kind for m in ledger.marks("prod")} == {"verified", "rolled_back"}

    assert ledger.clear_mark("prod", 5, MarkKind.ROLLED_BACK, reason="fixed feature pipeline") is True
    assert ledger.clear_mark("prod", 5, MarkKind.ROLLED_BACK, reason="again") is False
    assert ledger.rolled_back_versions("prod") == []
    assert ledger.history("prod")[0].event == "mark_cleared"


# ------------------------------------------------------------------------------------------------ lease lock


def test_lock_is_exclusive_and_names_the_holder(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    first = make_ledger(sandbox, table, clock, build_id="churn-dev:b-1")
    second = make_ledger(sandbox, table, clock, build_id="churn-dev:b-2")
    lease = first.acquire_lock("churn-dev", "b-1", 600, stage="dev")
    assert lease.expires_at == 1_800_000_600

    with pytest.raises(LockHeld) as held:
        second.acquire_lock("churn-dev", "b-2", 600, stage="dev")
    assert str(held.value).startswith(
        "endpoint churn-dev is locked by b-1 (build churn-dev:b-1) until 2027-01-15T08:10:00Z"
    )
    assert held.value.lease.owner == "b-1"

    # Another endpoint is independent; the same owner may re-acquire (a retry renews).
    second.acquire_lock("churn-staging", "b-2", 600, stage="staging")
    clock.now += 100
    assert first.acquire_lock("churn-dev", "b-1", 600, stage="dev").expires_at == 1_800_000_700
    holder = first.lock_holder("churn-dev")
    assert holder is not None
    assert holder.owner == "b-1"

    assert second.release_lock("churn-dev", "b-2") is False  # not ours: nothing released
    assert first.lock_holder("churn-dev") is not None
    assert first.release_lock("churn-dev", "b-1") is True
    assert first.lock_holder("churn-dev") is None
    assert second.acquire_lock("churn-dev", "b-2", 600, stage="dev").owner == "b-2"


def test_expired_lock_is_taken_over_and_the_takeover_recorded(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    crashed = make_ledger(sandbox, table, clock, build_id="churn-dev:b-1")
    rescuer = make_ledger(sandbox, table, clock, build_id="churn-dev:b-2")
    crashed.acquire_lock("churn-dev", "b-1", 60, stage="dev")
    clock.now += 30
    crashed.renew_lock("churn-dev", "b-1", 60)  # now expires at +90
    clock.now += 59
    with pytest.raises(LockHeld):
        rescuer.acquire_lock("churn-dev", "b-2", 60, stage="dev")
    clock.now += 2

    lease = rescuer.acquire_lock("churn-dev", "b-2", 60, stage="dev")
    assert lease.owner == "b-2"
    takeover = rescuer.history("dev")[0]
    assert takeover.event == "lock_takeover"
    assert takeover.details["previous_owner"] == "b-1"
    assert takeover.details["previous_build_id"] == "churn-dev:b-1"
    assert takeover.details["previous_expires_at"] == "2027-01-15T08:01:30Z"
    assert takeover.build_id == "churn-dev:b-2"

    # The slow original learns it lost the lease, and its cleanup does not free the rescuer's lock.
    with pytest.raises(LockLost, match="now held by b-2"):
        crashed.renew_lock("churn-dev", "b-1", 60)
    assert crashed.release_lock("churn-dev", "b-1") is False
    holder = rescuer.lock_holder("churn-dev")
    assert holder is not None
    assert holder.owner == "b-2"


def test_wait_for_lock_polls_until_the_holder_lets_go_or_times_out(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    holder = make_ledger(sandbox, table, clock, build_id="b-1")
    waiter = make_ledger(sandbox, table, clock, build_id="b-2")
    holder.acquire_lock("churn-dev", "b-1", 30, stage="dev")

    with pytest.raises(LockHeld, match="after waiting 12s"):
        waiter.acquire_lock("churn-dev", "b-2", 60, stage="dev", wait_seconds=12, poll_seconds=5)
    assert clock.sleeps == [5, 5, 2]

    clock.sleeps.clear()
    lease = waiter.acquire_lock("churn-dev", "b-2", 60, stage="dev", wait_seconds=60, poll_seconds=5)
    assert lease.owner == "b-2"
    assert clock.now == pytest.approx(1_800_000_000 + 12 + 20)  # the 30 s lease ran out between polls
    assert clock.sleeps == [5, 5, 5, 5]


def test_lock_context_manager_releases_on_error(sandbox: Sandbox, table: str) -> None:
    ledger = make_ledger(sandbox, table)
    with pytest.raises(RuntimeError, match="rollout blew up"), ledger.lock("churn-dev", "b-1", 600, stage="dev"):
        assert ledger.lock_holder("churn-dev") is not None
        raise RuntimeError("rollout blew up")
    assert ledger.lock_holder("churn-dev") is None


def test_lock_arguments_are_checked_before_any_call(sandbox: Sandbox, table: str) -> None:
    ledger = make_ledger(sandbox, table)
    with pytest.raises(LedgerInputError, match="ttl_seconds"):
        ledger.acquire_lock("churn-dev", "b-1", 0, stage="dev")
    with pytest.raises(LedgerInputError, match="endpoint and an owner"):
        ledger.acquire_lock("churn-dev", "", 60, stage="dev")
    assert raw_items(sandbox, table) == []


# ------------------------------------------------------------------------------------------------ errors


class DeniedDynamoDB:
    """A dynamodb client whose every call AWS denies, as for a role without the ledger policy."""

    def _deny(self, operation: str) -> ClientError:
        return ClientError(
            {
                "Error": {
                    "Code": "AccessDeniedException",
                    "Message": f"User: {DEV_ROLE} is not authorized to perform: dynamodb:{operation}",
                }
            },
            operation,
        )

    def put_item(self, **kwargs: Any) -> Any:
        raise self._deny("PutItem")

    def get_item(self, **kwargs: Any) -> Any:
        raise self._deny("GetItem")

    def update_item(self, **kwargs: Any) -> Any:
        raise self._deny("UpdateItem")

    def delete_item(self, **kwargs: Any) -> Any:
        raise self._deny("DeleteItem")

    def query(self, **kwargs: Any) -> Any:
        raise self._deny("Query")

    def transact_write_items(self, **kwargs: Any) -> Any:
        raise self._deny("TransactWriteItems")


def test_access_denied_names_table_action_and_caller() -> None:
    ledger = Ledger(DeniedDynamoDB(), "churn-ledger", caller_arn=DEV_ROLE, build_id="")
    with pytest.raises(LedgerAccessDenied) as denied:
        ledger.record_verified("dev", 1, ARN.format(1))
    assert str(denied.value).startswith(
        f"access denied: dynamodb:TransactWriteItems on ledger table churn-ledger as {DEV_ROLE}"
    )
    with pytest.raises(LedgerAccessDenied, match="dynamodb:PutItem on ledger table churn-ledger"):
        ledger.acquire_lock("churn-dev", "b-1", 60, stage="dev")
    with pytest.raises(LedgerAccessDenied, match="dynamodb:Query on ledger table churn-ledger"):
        ledger.verified_versions("dev")


def test_missing_table_is_named(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    name = unique("no-such-ledger")
    client: Any = sandbox.client("dynamodb")
    ledger = Ledger(client, name, build_id="")
    with pytest.raises(LedgerTableNotFound, match=f"ledger table {name} not found"):
        ledger.is_verified("dev", 1)
