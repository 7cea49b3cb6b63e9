"""What the ledger records: entries, marks, leases, their enums, input checks and the ledger's exceptions.

Pure data: nothing here talks to a store. Exit codes each exception should map to (see `deployer.errors`):
`LedgerInputError` 2, `LedgerTableNotFound` 2, `LedgerAccessDenied` 5, `LockHeld` 6, `LockLost` 4,
`LedgerError` (anything else) 1.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

_STAGE_RE = re.compile(r"^[a-z0-9-]{1,20}$")
_MODEL_RE = re.compile(r"^[a-z0-9-]{1,40}$")

# ---------------------------------------------------------------------------------------------------- the caller

CallerArn = str | Callable[[], str]
"""Who writes: the caller's ARN, or a function that finds it (an STS call) on first need, so a run that only
reads never makes that call."""


class Caller:
    """A `CallerArn`, found once when first asked for."""

    def __init__(self, caller: CallerArn) -> None:
        self._find = caller if callable(caller) else None
        self._arn = "" if callable(caller) else caller

    def __call__(self) -> str:
        if self._find is not None:
            self._arn, self._find = self._find(), None
        return self._arn


def caller_of(caller: CallerArn | Caller) -> Caller:
    return caller if isinstance(caller, Caller) else Caller(caller)


# ---------------------------------------------------------------------------------------------------- exceptions


class LedgerError(Exception):
    """A ledger operation failed (exit code 1 unless a subclass says otherwise)."""


class LedgerInputError(LedgerError, ValueError):
    """A bad argument (stage, version, outcome, ttl): exit code 2. Nothing was written."""


class LedgerTableNotFound(LedgerError):
    """The configured table does not exist (a wrong `ledger.table_name`): exit code 2."""


class LedgerAccessDenied(LedgerError):
    """The credentials may not perform an action on the ledger's storage: exit code 5."""

    def __init__(self, message: str, action: str = "") -> None:
        super().__init__(message)
        self.action = action  # e.g. "dynamodb:PutItem on ledger table churn-ledger"


class LedgerItemMalformed(LedgerError):
    """A stored item the deployer cannot read (a field missing or of the wrong type); the message names its key
    (pk/sk) and the fields. History and marks skip it with a warning; a lease that is malformed is held."""


class LockHeld(LedgerError):
    """Another rollout holds the endpoint's lease: exit code 6."""

    def __init__(self, message: str, lease: Lease) -> None:
        super().__init__(message)
        self.lease = lease


class LockLost(LedgerError):
    """Our lease was taken over (it expired while we ran): exit code 4, stop the rollout."""


# ---------------------------------------------------------------------------------------------------- enums


class Outcome(StrEnum):
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    NO_OP = "no-op"
    RECORDED = "recorded"  # marks and lock takeovers: the event itself is the outcome


class Event(StrEnum):
    DEPLOYMENT = "deployment"
    VERIFIED = "verified"
    ROLLBACK = "rollback"
    MARK_CLEARED = "mark_cleared"
    LOCK_TAKEOVER = "lock_takeover"
    LOCK_BROKEN = "lock_broken"  # an operator's `deployer unlock`, with the reason
    TEARDOWN = "teardown"  # `deployer teardown`: the endpoint and what the deployer created for it, deleted
    SMOKE_TEST = "smoke_test"
    METRIC_GATE = "metric_gate"  # the candidate's metrics against live: the rules, both values, the verdict
    PROMOTED = "promoted"
    # A run lost its lease after sending a change of the endpoint: it may have landed under the next holder.
    LEASE_LOST_AFTER_CHANGE = "lease_lost_after_change"


class MarkKind(StrEnum):
    VERIFIED = "verified"
    ROLLED_BACK = "rolled_back"
    PROMOTED = "promoted"  # the "Model Version Verified" event for the next stage was put on its bus


# ---------------------------------------------------------------------------------------------------- records


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Deployment:
    """What one deployment attempt ships; record it several times (started, then its outcome) under one id."""

    stage: str
    version: int
    model_package_arn: str
    endpoint: str
    endpoint_config: str = ""
    strategy: str = ""
    deployment_id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class HistoryEntry:
    """One append-only history record. `result` holds an `Outcome` value."""

    stage: str
    event: str
    result: str
    at: str
    event_id: str
    deployment_id: str = ""
    version: int | None = None
    model_package_arn: str = ""
    endpoint: str = ""
    endpoint_config: str = ""
    strategy: str = ""
    caller_arn: str = ""
    build_id: str = ""
    reason: str = ""
    details: dict[str, str] = field(default_factory=dict)
    deployer_version: str = ""  # the deployer build that wrote the entry (supply chain: which code ran)


@dataclass(frozen=True)
class Mark:
    """A per-(stage, version, kind) fact, such as "dev verified version 3"."""

    stage: str
    version: int
    kind: str
    at: str
    model_package_arn: str = ""
    caller_arn: str = ""
    build_id: str = ""
    deployment_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Lease:
    """The lock on one endpoint, held by `owner` until `expires_at`."""

    endpoint: str
    owner: str
    build_id: str
    caller_arn: str
    acquired_at: str
    expires_at: int  # epoch seconds
    token: str
    # Non-empty when the stored item is malformed: what is wrong with it, naming its key. Such a lease is held
    # (never expired: DynamoDB's TTL ignores an `expires_at` that is not a number) until an operator breaks it.
    problem: str = ""

    @property
    def expires_at_iso(self) -> str:
        return iso_seconds(self.expires_at)


# ---------------------------------------------------------------------------------------------------- time and checks


def iso(epoch: float) -> str:
    """Sortable ISO-8601 UTC with microseconds, e.g. 2026-01-02T03:04:05.000006Z."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_stage(stage: str) -> None:
    if not _STAGE_RE.match(stage):
        raise LedgerInputError(f"invalid stage {stage!r}: expected ^[a-z0-9-]{{1,20}}$")


def check_model(model: str) -> None:
    if not isinstance(model, str) or not _MODEL_RE.match(model):
        raise LedgerInputError(f"invalid model {model!r}: expected ^[a-z0-9-]{{1,40}}$")


def check_version(version: int) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LedgerInputError(f"invalid model version {version!r}: expected a positive integer")


def check_ttl(ttl_seconds: int) -> None:
    if ttl_seconds < 1:
        raise LedgerInputError(f"lock ttl_seconds must be at least 1, got {ttl_seconds}")


def parse_outcome(outcome: Outcome | str) -> Outcome:
    try:
        return Outcome(outcome)
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome if o is not Outcome.RECORDED)
        raise LedgerInputError(f"invalid deployment result {outcome!r}: expected one of {allowed}") from None
