"""The ledger's endpoint lease lock against the sandbox's DynamoDB, and its errors naming table and caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer.ledger import (
    LedgerAccessDenied,
    LedgerInputError,
    LedgerTableNotFound,
    LockHeld,
    LockLost,
    dynamodb_ledger,
)
from tests.conftest import Sandbox
from tests.deployer.ledger_support import ARN, DEV_ROLE, FakeClock, create_table, make_ledger, table_is_empty


@pytest.fixture
def table(sandbox: Sandbox, unique: Callable[[str], str]) -> str:
    return create_table(sandbox, unique("ledger"))


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


def test_lock_arguments_are_checked_before_any_call(sandbox: Sandbox, table: str) -> None:
    ledger = make_ledger(sandbox, table)
    with pytest.raises(LedgerInputError, match="ttl_seconds"):
        ledger.acquire_lock("churn-dev", "b-1", 0, stage="dev")
    with pytest.raises(LedgerInputError, match="endpoint and an owner"):
        ledger.acquire_lock("churn-dev", "", 60, stage="dev")
    assert table_is_empty(sandbox, table)


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
    ledger = dynamodb_ledger(DeniedDynamoDB(), "churn-ledger", model="churn", caller_arn=DEV_ROLE, build_id="")
    with pytest.raises(LedgerAccessDenied) as denied:
        ledger.record_verified("dev", 1, ARN.format(1))
    assert str(denied.value).startswith(
        f"access denied: dynamodb:TransactWriteItems on ledger table churn-ledger as {DEV_ROLE}"
    )
    with pytest.raises(LedgerAccessDenied, match="dynamodb:PutItem on ledger table churn-ledger"):
        ledger.acquire_lock("churn-dev", "b-1", 60, stage="dev")
    with pytest.raises(LedgerAccessDenied, match="dynamodb:Query on ledger table churn-ledger"):
        ledger.marks("dev")


def test_missing_table_is_named(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    name = unique("no-such-ledger")
    client: Any = sandbox.client("dynamodb")
    ledger = dynamodb_ledger(client, name, model="churn", build_id="")
    with pytest.raises(LedgerTableNotFound, match=f"ledger table {name} not found"):
        ledger.is_verified("dev", 1)
