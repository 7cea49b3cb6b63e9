"""The one exception hierarchy: ledger, registry-marks and smoke exceptions map to documented exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer.config import load_stage_config
from deployer.errors import (
    AccessDeniedError,
    DeployerError,
    InputError,
    LockHeldError,
    RolloutError,
    TransientError,
    translated,
)
from deployer.ledger import (
    Lease,
    LedgerAccessDenied,
    LedgerError,
    LedgerInputError,
    LedgerTableNotFound,
    LockHeld,
    LockLost,
)
from deployer.promotion import LockKeeper
from deployer.registry_marks import RegistryAccessDenied, RegistryMarksError, RegistryMarksInputError
from deployer.smoke import SmokeConfigError
from deployer.status import chain_order
from tests.deployer.test_config import base_doc, write

LEASE = Lease("churn-dev", "churn-dev:b-7#1a2b", "churn-dev:b-7", "arn:aws:sts::1:assumed-role/x/y", "t", 1, "tok")
ACCOUNT, ROLE = "111111111111", "arn:aws:iam::111111111111:role/churn-deployer-dev"


def client_error(code: str, status: int = 400, operation: str = "Query") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


@pytest.mark.parametrize(
    ("raised", "expected", "exit_code"),
    [
        (LockHeld("endpoint churn-dev is locked by x", LEASE), LockHeldError, 6),
        (LockLost("lost the lock on endpoint churn-dev"), RolloutError, 4),
        (LedgerAccessDenied("denied", action="dynamodb:PutItem on ledger table t"), AccessDeniedError, 5),
        (LedgerTableNotFound("ledger table t not found"), InputError, 2),
        (LedgerInputError("invalid stage"), InputError, 2),
        (LedgerError("cancelled"), DeployerError, 1),
        (RegistryAccessDenied("denied", action="sagemaker:UpdateModelPackage on arn"), AccessDeniedError, 5),
        (RegistryMarksInputError("bad key"), InputError, 2),
        (RegistryMarksError("too many"), DeployerError, 1),
        (SmokeConfigError("cases.json: cases: expected a list"), InputError, 2),
        (client_error("AccessDeniedException", operation="TransactWriteItems"), AccessDeniedError, 5),
        (client_error("ThrottlingException"), TransientError, 1),
        (client_error("InternalServerError", status=500), TransientError, 1),
        (client_error("ExpiredTokenException"), TransientError, 1),  # refreshed and tried again, never a denial
    ],
)
def test_translated_maps_into_the_hierarchy(raised: Exception, expected: type[DeployerError], exit_code: int) -> None:
    with pytest.raises(expected) as caught, translated(ACCOUNT, ROLE):
        raise raised
    assert type(caught.value) is expected and caught.value.exit_code == exit_code
    if isinstance(caught.value, AccessDeniedError):
        assert (caught.value.account, caught.value.role) == (ACCOUNT, ROLE)
        assert caught.value.action in ("dynamodb:PutItem on ledger table t", "sagemaker:UpdateModelPackage on arn",
                                       "TransactWriteItems")  # fmt: skip


def test_deployer_errors_pass_through_untouched() -> None:
    original = RolloutError("rolled back by SageMaker: alarm")
    with pytest.raises(RolloutError) as caught, translated(ACCOUNT, ROLE):
        raise original
    assert caught.value is original


class FakeLedger:
    def __init__(self) -> None:
        self.renewed: list[tuple[str, str, int]] = []

    def renew_lock(self, endpoint: str, owner: str, ttl: int) -> Any:
        self.renewed.append((endpoint, owner, ttl))
        return LEASE


def test_lock_keeper_renews_once_a_third_of_the_lease_has_passed() -> None:
    now = [100.0]
    ledger = FakeLedger()
    keeper = LockKeeper(ledger, "churn-dev", "me#1", 30, clock=lambda: now[0])  # type: ignore[arg-type]
    for step in (5.0, 4.0, 2.0, 5.0, 5.0):  # 5, 9, 11 (renew), 16, 21 (renew)
        now[0] += step
        keeper()
    assert ledger.renewed == [("churn-dev", "me#1", 30)] * 2
    assert keeper.renewals == 2


def test_chain_order_follows_previous_stage(tmp_path: Path) -> None:
    chain = {"dev": ("", "staging"), "staging": ("dev", "prod"), "prod": ("staging", "")}
    for stage, (previous, following) in chain.items():
        doc = base_doc()
        doc.update(stage=stage, previous_stage=previous, next_stage=following)
        doc["endpoint"]["name"] = f"churn-{stage}"
        if not following:
            doc["promotion"]["next_stage_event_bus_arn"] = ""
        config_dir = write(tmp_path, doc, f"{stage}.json")
    dev, staging, prod = (load_stage_config(config_dir, stage) for stage in chain)
    assert [c.stage for c in chain_order([prod, dev, staging])] == ["dev", "staging", "prod"]
    assert [c.stage for c in chain_order([prod, staging])] == ["staging", "prod"]
