"""The deployment ledger against the sandbox's DynamoDB: history, marks and rollbacks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deployer.ledger import Deployment, LedgerInputError, MarkKind, Outcome
from tests.conftest import Sandbox
from tests.deployer.ledger_support import (
    ARN,
    DEV_ROLE,
    FakeClock,
    create_table,
    make_ledger,
    table_is_empty,
    versions,
)


@pytest.fixture
def table(sandbox: Sandbox, unique: Callable[[str], str]) -> str:
    return create_table(sandbox, unique("ledger"))


# ------------------------------------------------------------------------------------------------ history


def test_deployment_history_by_stage_and_by_version(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    ledger = make_ledger(sandbox, table, clock)
    first = Deployment("dev", 3, ARN.format(3), "churn-dev", "churn-dev-v3-abc123", "canary")
    ledger.record_deployment(first, Outcome.STARTED)
    clock.now += 60
    ledger.record_deployment(first, "succeeded")
    clock.now += 60
    staging = Deployment("staging", 3, ARN.format(3), "churn-staging", "churn-staging-v3-abc123", "linear")
    ledger.record_deployment(staging, Outcome.FAILED, reason="alarm churn-staging-invocation-5xx in ALARM")

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
        ledger.record_deployment(deployment, Outcome.NO_OP)
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
    assert table_is_empty(sandbox, table)


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

    assert versions(ledger, "dev", MarkKind.VERIFIED) == [10, 9, 2]
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
    assert versions(ledger, "prod", MarkKind.ROLLED_BACK) == [5]
    # Verification stays true history; resolve combines it with the rolled-back mark.
    assert versions(ledger, "prod", MarkKind.VERIFIED) == [5]
    mark = ledger.get_mark("prod", 5, "rolled_back")
    assert mark is not None
    assert mark.reason == "version 5 Rejected: drift on tenure"
    assert [e.event for e in ledger.version_history(5)] == ["rollback", "verified"]
    assert [e.event for e in ledger.version_history(4)] == ["rollback"]
    assert ledger.history("prod")[0].reason == "version 5 Rejected: drift on tenure"
    assert {m.kind for m in ledger.marks("prod")} == {"verified", "rolled_back"}

    assert ledger.clear_mark("prod", 5, MarkKind.ROLLED_BACK, reason="fixed feature pipeline") is True
    assert ledger.clear_mark("prod", 5, MarkKind.ROLLED_BACK, reason="again") is False
    assert versions(ledger, "prod", MarkKind.ROLLED_BACK) == []
    assert ledger.history("prod")[0].event == "mark_cleared"
