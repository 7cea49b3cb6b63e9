"""Marks: per-(stage, version) facts (verified, rolled back, promoted), each written with its history entry."""

from __future__ import annotations

import logging
from typing import Any

from deployer.ledger.history import Author
from deployer.ledger.models import (
    Event,
    HistoryEntry,
    LedgerInputError,
    Mark,
    MarkKind,
    Outcome,
    check_stage,
    check_version,
)
from deployer.ledger.store import LedgerStore

log = logging.getLogger(__name__)


class MarkRecords:
    """The `Ledger`'s mark methods."""

    store: LedgerStore
    author: Author

    def _mark_of(self, entry: HistoryEntry, kind: MarkKind, version: int, **fields: Any) -> Mark:
        """The mark a history entry sets: same stage, time, caller and build."""
        return Mark(
            stage=entry.stage,
            version=version,
            kind=kind.value,
            at=entry.at,
            caller_arn=self.author.caller_arn,
            build_id=self.author.build_id,
            **fields,
        )

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

        The mark and its history entry are one atomic write guarded by the mark not existing, so repeating
        this after any failure either completes the record or finds it complete.
        """
        check_stage(stage)
        check_version(version)
        entry = self.author.entry(
            stage,
            Event.VERIFIED,
            Outcome.RECORDED,
            deployment_id=deployment_id,
            version=version,
            model_package_arn=model_package_arn,
            endpoint=endpoint,
            reason=reason,
        )
        fields = {"model_package_arn": model_package_arn, "deployment_id": deployment_id, "reason": reason}
        mark = self._mark_of(entry, MarkKind.VERIFIED, version, **fields)
        if self.store.put_mark(mark, entry, if_absent=True):
            log.info("ledger: %s verified version %d", stage, version)
            return True
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
        check_stage(stage)
        check_stage(next_stage)
        check_version(version)
        entry = self.author.entry(
            stage,
            Event.PROMOTED,
            Outcome.RECORDED,
            version=version,
            model_package_arn=model_package_arn,
            reason=f"Model Version Verified event {event_id} put on {event_bus_arn}",
            details={"next_stage": next_stage, "event_id": event_id, "event_bus_arn": event_bus_arn},
        )
        mark = self._mark_of(
            entry, MarkKind.PROMOTED, version, model_package_arn=model_package_arn, reason=entry.reason
        )
        if not self.store.put_mark(mark, entry, if_absent=True):
            return False
        log.info("ledger: %s promoted version %d to %s (event %s)", stage, version, next_stage, event_id)
        return True

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
        check_stage(stage)
        check_version(from_version)
        check_version(to_version)
        if not reason.strip():
            raise LedgerInputError("a rollback needs a reason")
        entry = self.author.entry(
            stage,
            Event.ROLLBACK,
            Outcome.ROLLED_BACK,
            deployment_id=deployment_id,
            version=to_version,
            model_package_arn=model_package_arn,
            endpoint=endpoint,
            endpoint_config=endpoint_config,
            reason=reason,
            details={"from_version": str(from_version), "to_version": str(to_version)},
        )
        mark = self._mark_of(entry, MarkKind.ROLLED_BACK, from_version, deployment_id=deployment_id, reason=reason)
        # The same history also lands under the version that was rolled away from.
        away = (from_version,) if from_version != to_version else ()
        self.store.put_mark(mark, entry, if_absent=False, extra_versions=away)
        log.info("ledger: %s rolled back from version %d to %d: %s", stage, from_version, to_version, reason)
        return entry

    def clear_mark(self, stage: str, version: int, kind: MarkKind | str, reason: str) -> bool:
        """Remove a mark (an operator's correction), with a history entry. False when there was none."""
        check_stage(stage)
        check_version(version)
        mark_kind = MarkKind(kind)
        if not reason.strip():
            raise LedgerInputError("clearing a mark needs a reason")
        entry = self.author.entry(
            stage,
            Event.MARK_CLEARED,
            Outcome.RECORDED,
            version=version,
            reason=reason,
            details={"mark": mark_kind.value},
        )
        if not self.store.delete_mark(stage, version, mark_kind, entry):
            return False
        log.info("ledger: %s cleared %s mark of version %d: %s", stage, mark_kind.value, version, reason)
        return True

    def get_mark(self, stage: str, version: int, kind: MarkKind | str) -> Mark | None:
        check_stage(stage)
        check_version(version)
        return self.store.get_mark(stage, version, MarkKind(kind))

    def is_verified(self, stage: str, version: int) -> bool:
        return self.get_mark(stage, version, MarkKind.VERIFIED) is not None

    def marks(self, stage: str, kind: MarkKind | str | None = None) -> list[Mark]:
        """The stage's marks (of one kind, or all), newest version first within each kind."""
        check_stage(stage)
        return self.store.marks(stage, MarkKind(kind) if kind else None)
