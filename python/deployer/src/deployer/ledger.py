"""The deployment ledger: history, per-stage marks and endpoint lease locks in the tooling account's DynamoDB table.

The table is created by Terraform (`<project>-ledger`, hash key `pk` S, range key `sk` S, TTL attribute
`expires_at` N). Item layout (every item also carries `kind`):

| item | pk | sk | notes |
|---|---|---|---|
| history, by stage | `STAGE#<stage>` | `HISTORY#<at>#<event_id>` | append-only; `at`: ISO-8601 UTC, microseconds |
| history, by version | `VERSION#<version>` | `HISTORY#<at>#<event_id>` | same attributes, same transaction |
| mark | `STAGE#<stage>` | `MARK#<kind>#<version:010d>` | kind `verified`, `rolled_back` or `promoted` |
| lease lock | `LOCK#<endpoint>` | `LOCK` | `owner`, `build_id`, `token`, `expires_at` (epoch seconds, TTL) |

Writes that belong together (a mark and its history entry, a lock takeover and its history entry) go through
TransactWriteItems, so a failure never leaves half a record behind.

Exceptions, and the deployer exit code each should map to:
`LedgerInputError` 2, `LedgerTableNotFound` 2, `LedgerAccessDenied` 5, `LockHeld` 6,
`LockLost` 4, `LedgerError` (anything else) 1.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from botocore.exceptions import ClientError

from deployer import env
from deployer.aws_errors import is_access_denied

log = logging.getLogger(__name__)

_STAGE_RE = re.compile(r"^[a-z0-9-]{1,20}$")


class LedgerError(Exception):
    """A ledger operation failed (exit code 1 unless a subclass says otherwise)."""


class LedgerInputError(LedgerError, ValueError):
    """A bad argument (stage, version, result, ttl): exit code 2. Nothing was written."""


class LedgerTableNotFound(LedgerError):
    """The configured table does not exist (a wrong `ledger.table_name`): exit code 2."""


class LedgerAccessDenied(LedgerError):
    """The credentials may not perform a DynamoDB action on the ledger table: exit code 5."""

    def __init__(self, message: str, action: str = "") -> None:
        super().__init__(message)
        self.action = action  # e.g. "dynamodb:PutItem on ledger table churn-ledger"


class LockHeld(LedgerError):
    """Another rollout holds the endpoint's lease: exit code 6."""

    def __init__(self, message: str, lease: Lease) -> None:
        super().__init__(message)
        self.lease = lease


class LockLost(LedgerError):
    """Our lease was taken over (it expired while we ran): exit code 4, stop the rollout."""


class Result(StrEnum):
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
    SMOKE_TEST = "smoke_test"
    PROMOTED = "promoted"


class MarkKind(StrEnum):
    VERIFIED = "verified"
    ROLLED_BACK = "rolled_back"
    PROMOTED = "promoted"  # the "Model Version Verified" event for the next stage was put on its bus


class DynamoDBClient(Protocol):
    """The subset of a boto3 `dynamodb` client the ledger uses."""

    def put_item(self, **kwargs: Any) -> Any: ...
    def get_item(self, **kwargs: Any) -> Any: ...
    def update_item(self, **kwargs: Any) -> Any: ...
    def delete_item(self, **kwargs: Any) -> Any: ...
    def query(self, **kwargs: Any) -> Any: ...
    def transact_write_items(self, **kwargs: Any) -> Any: ...


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


@dataclass(frozen=True)
class Mark:
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
    endpoint: str
    owner: str
    build_id: str
    caller_arn: str
    acquired_at: str
    expires_at: int  # epoch seconds
    token: str

    @property
    def expires_at_iso(self) -> str:
        return iso_seconds(self.expires_at)


def iso(epoch: float) -> str:
    """Sortable ISO-8601 UTC with microseconds, e.g. 2026-01-02T03:04:05.000006Z."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """Decode the attribute types the ledger writes (S, N, M of S)."""
    out: dict[str, Any] = {}
    for key, typed in item.items():
        if "S" in typed:
            out[key] = typed["S"]
        elif "N" in typed:
            number = typed["N"]
            out[key] = int(number) if re.fullmatch(r"-?\d+", number) else float(number)
        elif "M" in typed:
            out[key] = {k: v.get("S", "") for k, v in typed["M"].items()}
    return out


def _stage_pk(stage: str) -> str:
    return f"STAGE#{stage}"


def _version_pk(version: int) -> str:
    return f"VERSION#{version}"


def _mark_sk(kind: MarkKind, version: int) -> str:
    # Zero-padded so that sort-key order is version order (newest first with ScanIndexForward=False).
    return f"MARK#{kind.value}#{version:010d}"


def _lock_key(endpoint: str) -> dict[str, dict[str, str]]:
    return {"pk": _s(f"LOCK#{endpoint}"), "sk": _s("LOCK")}


class Ledger:
    """The deployment ledger of one project. The client must reach the tooling account (the registry role)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        caller_arn: str = "",
        build_id: str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not table_name:
            raise LedgerInputError("ledger.table_name is empty")
        self.client = client
        self.table_name = table_name
        self.caller_arn = caller_arn
        self.build_id = env.build_id() if build_id is None else build_id
        self._clock = clock
        self._sleep = sleep

    # ---------------------------------------------------------------- AWS calls, with errors that name the table

    def _call(self, action: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            message = exc.response.get("Error", {}).get("Message", "")
            if is_access_denied(exc):
                raise LedgerAccessDenied(
                    f"access denied: dynamodb:{action} on ledger table {self.table_name}"
                    f"{f' as {self.caller_arn}' if self.caller_arn else ''}: {message}",
                    action=f"dynamodb:{action} on ledger table {self.table_name}",
                ) from exc
            if code == "ResourceNotFoundException":
                raise LedgerTableNotFound(
                    f"ledger table {self.table_name} not found (dynamodb:{action}); check ledger.table_name, "
                    "the registry account and region"
                ) from exc
            raise

    def _transact(self, action: str, items: list[dict[str, Any]]) -> list[str] | None:
        """Run one transaction; return None on success or the per-item cancellation codes."""
        try:
            self._call(action, self.client.transact_write_items, TransactItems=items)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = [str(r.get("Code", "None")) for r in reasons]
            if any(code not in ("None", "ConditionalCheckFailed") for code in codes):
                # Conflicts and throttling are not a "no": let the caller's retry policy see them.
                raise LedgerError(
                    f"dynamodb:{action} on ledger table {self.table_name} was cancelled: {', '.join(codes)}"
                ) from exc
            return codes
        return None

    def _query(self, pk: str, sk_prefix: str, limit: int | None, newest_first: bool = True) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _s(pk), ":prefix": _s(sk_prefix)},
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(items)
            page = self._call("Query", self.client.query, **kwargs)
            items.extend(_plain(item) for item in page.get("Items", []))
            last = page.get("LastEvaluatedKey")
            if not last or (limit is not None and len(items) >= limit):
                return items
            kwargs["ExclusiveStartKey"] = last

    # ---------------------------------------------------------------- history

    def _now(self) -> float:
        return self._clock()

    def _history_puts(self, entry: HistoryEntry) -> list[dict[str, Any]]:
        attrs: dict[str, Any] = {
            "kind": _s("history"),
            "stage": _s(entry.stage),
            "event": _s(entry.event),
            "result": _s(entry.result),
            "at": _s(entry.at),
            "event_id": _s(entry.event_id),
        }
        for name in ("deployment_id", "model_package_arn", "endpoint", "endpoint_config", "strategy"):
            value = getattr(entry, name)
            if value:
                attrs[name] = _s(value)
        for name in ("caller_arn", "build_id", "reason"):
            value = getattr(entry, name)
            if value:
                attrs[name] = _s(value)
        if entry.version is not None:
            attrs["version"] = _n(entry.version)
        if entry.details:
            attrs["details"] = {"M": {k: _s(v) for k, v in entry.details.items()}}
        sk = _s(f"HISTORY#{entry.at}#{entry.event_id}")
        puts = [{"Put": {"TableName": self.table_name, "Item": {"pk": _s(_stage_pk(entry.stage)), "sk": sk, **attrs}}}]
        if entry.version is not None:
            puts.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {"pk": _s(_version_pk(entry.version)), "sk": sk, **attrs},
                    }
                }
            )
        return puts

    def _entry(self, stage: str, event: Event, result: Result, **fields: Any) -> HistoryEntry:
        return HistoryEntry(
            stage=stage,
            event=event.value,
            result=result.value,
            at=iso(self._now()),
            event_id=new_id(),
            caller_arn=self.caller_arn,
            build_id=self.build_id,
            **fields,
        )

    def record_deployment(self, deployment: Deployment, result: Result | str, reason: str = "") -> HistoryEntry:
        """Append one history entry for a deployment attempt (started, then succeeded/failed/rolled_back/no-op)."""
        _check_stage(deployment.stage)
        _check_version(deployment.version)
        outcome = _result(result)
        if outcome is Result.RECORDED:
            raise LedgerInputError("a deployment's result is started, succeeded, failed, rolled_back or no-op")
        if outcome in (Result.FAILED, Result.ROLLED_BACK) and not reason:
            raise LedgerInputError(f"a deployment that ended {outcome.value} needs a reason")
        entry = self._entry(
            deployment.stage,
            Event.DEPLOYMENT,
            outcome,
            deployment_id=deployment.deployment_id,
            version=deployment.version,
            model_package_arn=deployment.model_package_arn,
            endpoint=deployment.endpoint,
            endpoint_config=deployment.endpoint_config,
            strategy=deployment.strategy,
            reason=reason,
        )
        self._transact("TransactWriteItems", self._history_puts(entry))
        log.info(
            "ledger: %s version %d on %s: %s%s",
            deployment.stage,
            deployment.version,
            deployment.endpoint,
            outcome.value,
            f" ({reason})" if reason else "",
        )
        return entry

    def history(self, stage: str, limit: int | None = 50) -> list[HistoryEntry]:
        """The stage's history, newest first."""
        _check_stage(stage)
        return [_history_entry(item) for item in self._query(_stage_pk(stage), "HISTORY#", limit)]

    def version_history(self, version: int, limit: int | None = 50) -> list[HistoryEntry]:
        """One model version's history across every stage, newest first."""
        _check_version(version)
        return [_history_entry(item) for item in self._query(_version_pk(version), "HISTORY#", limit)]

    # ---------------------------------------------------------------- marks

    def _mark_of(self, entry: HistoryEntry, kind: MarkKind, version: int, **fields: Any) -> Mark:
        """The mark a history entry sets: same stage, time, caller and build."""
        return Mark(
            stage=entry.stage,
            version=version,
            kind=kind.value,
            at=entry.at,
            caller_arn=self.caller_arn,
            build_id=self.build_id,
            **fields,
        )

    def _mark_put(self, mark: Mark, kind: MarkKind, condition: str | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": _s(_stage_pk(mark.stage)),
            "sk": _s(_mark_sk(kind, mark.version)),
            "kind": _s("mark"),
            "mark": _s(kind.value),
            "stage": _s(mark.stage),
            "version": _n(mark.version),
            "at": _s(mark.at),
        }
        for name in ("model_package_arn", "caller_arn", "build_id", "deployment_id", "reason"):
            value = getattr(mark, name)
            if value:
                item[name] = _s(value)
        put: dict[str, Any] = {"TableName": self.table_name, "Item": item}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    def record_verified(
        self,
        stage: str,
        version: int,
        model_package_arn: str,
        *,
        endpoint: str = "",
        deployment_id: str = "",
        reason: str = "",
    ) -> bool:
        """Record that `stage` verified `version`. Returns False (and writes nothing) when already recorded.

        The mark and its history entry are one transaction guarded by the mark not existing, so repeating
        this after any failure either completes the record or finds it complete.
        """
        _check_stage(stage)
        _check_version(version)
        entry = self._entry(
            stage,
            Event.VERIFIED,
            Result.RECORDED,
            deployment_id=deployment_id,
            version=version,
            model_package_arn=model_package_arn,
            endpoint=endpoint,
            reason=reason,
        )
        mark = self._mark_of(
            entry,
            MarkKind.VERIFIED,
            version,
            model_package_arn=model_package_arn,
            deployment_id=deployment_id,
            reason=reason,
        )
        items = [self._mark_put(mark, MarkKind.VERIFIED, "attribute_not_exists(pk)"), *self._history_puts(entry)]
        if self._transact("TransactWriteItems", items) is not None:
            existing = self.get_mark(stage, version, MarkKind.VERIFIED)
            if existing and model_package_arn and existing.model_package_arn not in ("", model_package_arn):
                log.warning(
                    "ledger: %s version %d was verified as %s, not %s",
                    stage,
                    version,
                    existing.model_package_arn,
                    model_package_arn,
                )
            log.info("ledger: %s version %d already verified at %s", stage, version, existing.at if existing else "?")
            return False
        log.info("ledger: %s verified version %d", stage, version)
        return True

    def get_mark(self, stage: str, version: int, kind: MarkKind | str) -> Mark | None:
        _check_stage(stage)
        _check_version(version)
        response = self._call(
            "GetItem",
            self.client.get_item,
            TableName=self.table_name,
            Key={"pk": _s(_stage_pk(stage)), "sk": _s(_mark_sk(MarkKind(kind), version))},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _mark(_plain(item)) if item else None

    def is_verified(self, stage: str, version: int) -> bool:
        return self.get_mark(stage, version, MarkKind.VERIFIED) is not None

    def marks(self, stage: str, kind: MarkKind | str | None = None) -> list[Mark]:
        """The stage's marks (of one kind, or all), newest version first within each kind."""
        _check_stage(stage)
        prefix = f"MARK#{MarkKind(kind).value}#" if kind else "MARK#"
        return [_mark(item) for item in self._query(_stage_pk(stage), prefix, None)]

    def verified_versions(self, stage: str) -> list[int]:
        """Versions the stage verified, newest version first."""
        return [mark.version for mark in self.marks(stage, MarkKind.VERIFIED)]

    def rolled_back_versions(self, stage: str) -> list[int]:
        """Versions the stage was rolled back away from, newest version first (resolve should skip them)."""
        return [mark.version for mark in self.marks(stage, MarkKind.ROLLED_BACK)]

    def record_rollback(
        self,
        stage: str,
        *,
        from_version: int,
        to_version: int,
        endpoint: str,
        reason: str,
        model_package_arn: str = "",
        endpoint_config: str = "",
        deployment_id: str = "",
    ) -> HistoryEntry:
        """Record a forced rollback (operator or Rejected): a `rolled_back` mark on `from_version` plus history.

        `model_package_arn` and `endpoint_config` describe what is live after the rollback (`to_version`).
        """
        _check_stage(stage)
        _check_version(from_version)
        _check_version(to_version)
        if not reason.strip():
            raise LedgerInputError("a rollback needs a reason")
        entry = self._entry(
            stage,
            Event.ROLLBACK,
            Result.ROLLED_BACK,
            deployment_id=deployment_id,
            version=to_version,
            model_package_arn=model_package_arn,
            endpoint=endpoint,
            endpoint_config=endpoint_config,
            reason=reason,
            details={"from_version": str(from_version), "to_version": str(to_version)},
        )
        mark = self._mark_of(entry, MarkKind.ROLLED_BACK, from_version, deployment_id=deployment_id, reason=reason)
        puts = [self._mark_put(mark, MarkKind.ROLLED_BACK, None), *self._history_puts(entry)]
        if from_version != to_version:
            # The same history also lands under the version that was rolled away from.
            away = dataclasses.replace(entry, version=from_version)
            puts.append(self._history_puts(away)[1])
        self._transact("TransactWriteItems", puts)
        log.info("ledger: %s rolled back from version %d to %d: %s", stage, from_version, to_version, reason)
        return entry

    def record_smoke_test(
        self,
        stage: str,
        version: int,
        *,
        passed: bool,
        model_package_arn: str,
        endpoint: str,
        endpoint_config: str,
        reason: str,
        details: dict[str, str] | None = None,
    ) -> HistoryEntry:
        """Append the outcome of a smoke-test run against the live endpoint (promotion requires a passing one)."""
        _check_stage(stage)
        _check_version(version)
        if not reason.strip():
            raise LedgerInputError("a smoke-test record needs a reason (the summary of the run)")
        entry = self._entry(
            stage,
            Event.SMOKE_TEST,
            Result.SUCCEEDED if passed else Result.FAILED,
            version=version,
            model_package_arn=model_package_arn,
            endpoint=endpoint,
            endpoint_config=endpoint_config,
            reason=reason,
            details=dict(details or {}),
        )
        self._transact("TransactWriteItems", self._history_puts(entry))
        log.info("ledger: %s smoke tests of version %d: %s", stage, version, entry.result)
        return entry

    def record_promoted(
        self,
        stage: str,
        version: int,
        *,
        next_stage: str,
        event_id: str,
        event_bus_arn: str,
        model_package_arn: str = "",
    ) -> bool:
        """Record that the promotion event for `next_stage` was put. False (and nothing written) when recorded."""
        _check_stage(stage)
        _check_stage(next_stage)
        _check_version(version)
        details = {"next_stage": next_stage, "event_id": event_id, "event_bus_arn": event_bus_arn}
        entry = self._entry(
            stage,
            Event.PROMOTED,
            Result.RECORDED,
            version=version,
            model_package_arn=model_package_arn,
            reason=f"Model Version Verified event {event_id} put on {event_bus_arn}",
            details=details,
        )
        mark = self._mark_of(
            entry, MarkKind.PROMOTED, version, model_package_arn=model_package_arn, reason=entry.reason
        )
        items = [self._mark_put(mark, MarkKind.PROMOTED, "attribute_not_exists(pk)"), *self._history_puts(entry)]
        if self._transact("TransactWriteItems", items) is not None:
            return False
        log.info("ledger: %s promoted version %d to %s (event %s)", stage, version, next_stage, event_id)
        return True

    def clear_mark(self, stage: str, version: int, kind: MarkKind | str, reason: str) -> bool:
        """Remove a mark (an operator's correction), with a history entry. False when there was none."""
        _check_stage(stage)
        _check_version(version)
        mark_kind = MarkKind(kind)
        if not reason.strip():
            raise LedgerInputError("clearing a mark needs a reason")
        entry = self._entry(
            stage,
            Event.MARK_CLEARED,
            Result.RECORDED,
            version=version,
            reason=reason,
            details={"mark": mark_kind.value},
        )
        delete = {
            "Delete": {
                "TableName": self.table_name,
                "Key": {"pk": _s(_stage_pk(stage)), "sk": _s(_mark_sk(mark_kind, version))},
                "ConditionExpression": "attribute_exists(pk)",
            }
        }
        if self._transact("TransactWriteItems", [delete, *self._history_puts(entry)]) is not None:
            return False
        log.info("ledger: %s cleared %s mark of version %d: %s", stage, mark_kind.value, version, reason)
        return True

    # ---------------------------------------------------------------- lease lock per endpoint

    def lock_holder(self, endpoint: str) -> Lease | None:
        """The current lease on the endpoint, or None when free or expired."""
        lease = self._read_lease(endpoint)
        if lease is None or self._expired(lease):
            return None
        return lease

    def _expired(self, lease: Lease) -> bool:
        # Whole seconds, exactly as the takeover's condition expression compares them.
        return lease.expires_at < math.floor(self._now())

    def _read_lease(self, endpoint: str) -> Lease | None:
        response = self._call(
            "GetItem",
            self.client.get_item,
            TableName=self.table_name,
            Key=_lock_key(endpoint),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _lease(endpoint, _plain(item)) if item else None

    def _lease_item(self, endpoint: str, owner: str, ttl_seconds: int) -> tuple[Lease, dict[str, Any]]:
        now = self._now()
        lease = Lease(
            endpoint=endpoint,
            owner=owner,
            build_id=self.build_id,
            caller_arn=self.caller_arn,
            acquired_at=iso(now),
            expires_at=math.ceil(now + ttl_seconds),
            token=new_id(),
        )
        item: dict[str, Any] = {
            **_lock_key(endpoint),
            "kind": _s("lock"),
            "endpoint": _s(endpoint),
            "owner": _s(owner),
            "acquired_at": _s(lease.acquired_at),
            "expires_at": _n(lease.expires_at),
            "token": _s(lease.token),
        }
        if self.build_id:
            item["build_id"] = _s(self.build_id)
        if self.caller_arn:
            item["caller_arn"] = _s(self.caller_arn)
        return lease, item

    def _try_acquire(self, endpoint: str, owner: str, ttl_seconds: int, stage: str) -> Lease:
        """One attempt. Returns our lease, or the other holder's live lease."""
        lease, item = self._lease_item(endpoint, owner, ttl_seconds)
        try:
            # Free, or ours already (a retry by the same owner renews instead of deadlocking itself).
            self._call(
                "PutItem",
                self.client.put_item,
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR #owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _s(owner)},
            )
            log.info("ledger: locked %s for %s until %s", endpoint, owner, lease.expires_at_iso)
            return lease
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        held = self._read_lease(endpoint)
        if held is None:
            return self._try_acquire(endpoint, owner, ttl_seconds, stage)  # released in between
        if not self._expired(held):
            return held
        # Expired: take over, guarded by the stale lease's token, and record the takeover in the same transaction.
        entry = self._entry(
            stage,
            Event.LOCK_TAKEOVER,
            Result.RECORDED,
            endpoint=endpoint,
            reason=f"lease of {held.owner} expired at {held.expires_at_iso}",
            details={
                "previous_owner": held.owner,
                "previous_build_id": held.build_id,
                "previous_expires_at": held.expires_at_iso,
                "owner": owner,
            },
        )
        put = {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "#token = :token AND expires_at < :now",
                "ExpressionAttributeNames": {"#token": "token"},
                "ExpressionAttributeValues": {":token": _s(held.token), ":now": _n(math.floor(self._now()))},
            }
        }
        if self._transact("TransactWriteItems", [put, *self._history_puts(entry)]) is not None:
            return self._try_acquire(endpoint, owner, ttl_seconds, stage)  # someone else took it first
        log.warning(
            "ledger: took over the expired lock on %s from %s (build %s, expired %s)",
            endpoint,
            held.owner,
            held.build_id or "-",
            held.expires_at_iso,
        )
        return lease

    def acquire_lock(
        self,
        endpoint: str,
        owner: str,
        ttl_seconds: int,
        *,
        stage: str,
        wait_seconds: float = 0.0,
        poll_seconds: float = 5.0,
    ) -> Lease:
        """Take the endpoint's lease for `ttl_seconds`, waiting up to `wait_seconds` for a holder to let go.

        Raises LockHeld naming the holder, its build and when the lease expires.
        """
        _check_stage(stage)
        if not endpoint or not owner:
            raise LedgerInputError("a lock needs an endpoint and an owner")
        if ttl_seconds < 1:
            raise LedgerInputError(f"lock ttl_seconds must be at least 1, got {ttl_seconds}")
        if wait_seconds < 0 or poll_seconds <= 0:
            raise LedgerInputError("lock wait_seconds must be >= 0 and poll_seconds > 0")
        deadline = self._now() + wait_seconds
        while True:
            lease = self._try_acquire(endpoint, owner, ttl_seconds, stage)
            if lease.owner == owner:
                return lease
            remaining = deadline - self._now()
            if remaining <= 0:
                waited = f" after waiting {wait_seconds:g}s" if wait_seconds else ""
                raise LockHeld(
                    f"endpoint {endpoint} is locked by {lease.owner} (build {lease.build_id or '-'}) "
                    f"until {lease.expires_at_iso}{waited}; another rollout is running, retry after it ends "
                    "or the lease expires",
                    lease,
                )
            log.info("ledger: %s is locked by %s until %s; waiting", endpoint, lease.owner, lease.expires_at_iso)
            self._sleep(min(poll_seconds, remaining))

    def renew_lock(self, endpoint: str, owner: str, ttl_seconds: int) -> Lease:
        """Extend our lease to now + ttl_seconds. Raises LockLost when the lease is no longer ours."""
        if ttl_seconds < 1:
            raise LedgerInputError(f"lock ttl_seconds must be at least 1, got {ttl_seconds}")
        expires_at = math.ceil(self._now() + ttl_seconds)
        try:
            response = self._call(
                "UpdateItem",
                self.client.update_item,
                TableName=self.table_name,
                Key=_lock_key(endpoint),
                UpdateExpression="SET expires_at = :exp",
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":exp": _n(expires_at), ":owner": _s(owner)},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            held = self._read_lease(endpoint)
            holder = f"{held.owner} (build {held.build_id or '-'})" if held else "nobody"
            raise LockLost(f"lost the lock on endpoint {endpoint}: it is now held by {holder}") from exc
        return _lease(endpoint, _plain(response["Attributes"]))

    def release_lock(self, endpoint: str, owner: str) -> bool:
        """Release our lease. False (with a warning) when it was not ours any more; never raises for that."""
        try:
            self._call(
                "DeleteItem",
                self.client.delete_item,
                TableName=self.table_name,
                Key=_lock_key(endpoint),
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _s(owner)},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # Called from cleanup paths: raising here would hide the error that got us there.
            log.warning("ledger: lock on %s was not held by %s at release", endpoint, owner)
            return False
        log.info("ledger: released lock on %s", endpoint)
        return True

    @contextmanager
    def lock(
        self,
        endpoint: str,
        owner: str,
        ttl_seconds: int,
        *,
        stage: str,
        wait_seconds: float = 0.0,
        poll_seconds: float = 5.0,
    ) -> Iterator[Lease]:
        """`with ledger.lock(...) as lease:` acquire, then always release."""
        lease = self.acquire_lock(
            endpoint, owner, ttl_seconds, stage=stage, wait_seconds=wait_seconds, poll_seconds=poll_seconds
        )
        try:
            yield lease
        finally:
            self.release_lock(endpoint, owner)


# -------------------------------------------------------------------- decoding and validation


def _history_entry(item: dict[str, Any]) -> HistoryEntry:
    version = item.get("version")
    return HistoryEntry(
        stage=str(item.get("stage", "")),
        event=str(item.get("event", "")),
        result=str(item.get("result", "")),
        at=str(item.get("at", "")),
        event_id=str(item.get("event_id", "")),
        deployment_id=str(item.get("deployment_id", "")),
        version=int(version) if version is not None else None,
        model_package_arn=str(item.get("model_package_arn", "")),
        endpoint=str(item.get("endpoint", "")),
        endpoint_config=str(item.get("endpoint_config", "")),
        strategy=str(item.get("strategy", "")),
        caller_arn=str(item.get("caller_arn", "")),
        build_id=str(item.get("build_id", "")),
        reason=str(item.get("reason", "")),
        details=dict(item.get("details", {})),
    )


def _mark(item: dict[str, Any]) -> Mark:
    return Mark(
        stage=str(item.get("stage", "")),
        version=int(item["version"]),
        kind=str(item.get("mark", "")),
        at=str(item.get("at", "")),
        model_package_arn=str(item.get("model_package_arn", "")),
        caller_arn=str(item.get("caller_arn", "")),
        build_id=str(item.get("build_id", "")),
        deployment_id=str(item.get("deployment_id", "")),
        reason=str(item.get("reason", "")),
    )


def _lease(endpoint: str, item: dict[str, Any]) -> Lease:
    return Lease(
        endpoint=endpoint,
        owner=str(item.get("owner", "")),
        build_id=str(item.get("build_id", "")),
        caller_arn=str(item.get("caller_arn", "")),
        acquired_at=str(item.get("acquired_at", "")),
        expires_at=int(item.get("expires_at", 0)),
        token=str(item.get("token", "")),
    )


def _check_stage(stage: str) -> None:
    if not _STAGE_RE.match(stage):
        raise LedgerInputError(f"invalid stage {stage!r}: expected ^[a-z0-9-]{{1,20}}$")


def _check_version(version: int) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LedgerInputError(f"invalid model version {version!r}: expected a positive integer")


def _result(result: Result | str) -> Result:
    try:
        return Result(result)
    except ValueError:
        allowed = ", ".join(r.value for r in Result if r is not Result.RECORDED)
        raise LedgerInputError(f"invalid deployment result {result!r}: expected one of {allowed}") from None
