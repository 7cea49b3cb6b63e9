"""History: the append-only record of deployments and smoke tests, read back by stage or by model version."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from deployer import __version__
from deployer.ledger.models import (
    Caller,
    Deployment,
    Event,
    HistoryEntry,
    LedgerInputError,
    Outcome,
    check_stage,
    check_version,
    iso,
    new_id,
    parse_outcome,
)
from deployer.ledger.store import LedgerStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Author:
    """Who writes (caller and build) and the clock that stamps every entry, mark and lease."""

    caller: Caller
    build_id: str
    clock: Callable[[], float]

    @property
    def caller_arn(self) -> str:
        return self.caller()

    def now(self) -> float:
        return self.clock()

    def entry(self, stage: str, event: Event, outcome: Outcome, **fields: Any) -> HistoryEntry:
        return HistoryEntry(
            stage=stage,
            event=event.value,
            result=outcome.value,
            at=iso(self.now()),
            event_id=new_id(),
            caller_arn=self.caller_arn,
            build_id=self.build_id,
            deployer_version=__version__,
            **fields,
        )


class HistoryRecords:
    """The `Ledger`'s history methods."""

    store: LedgerStore
    author: Author

    def record_deployment(self, deployment: Deployment, result: Outcome | str, reason: str = "") -> HistoryEntry:
        """Append one history entry for a deployment attempt (started, then succeeded/failed/rolled_back/no-op)."""
        check_stage(deployment.stage)
        check_version(deployment.version)
        outcome = parse_outcome(result)
        if outcome is Outcome.RECORDED:
            raise LedgerInputError("a deployment's result is started, succeeded, failed, rolled_back or no-op")
        if outcome in (Outcome.FAILED, Outcome.ROLLED_BACK) and not reason:
            raise LedgerInputError(f"a deployment that ended {outcome.value} needs a reason")
        entry = self.author.entry(
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
        self.store.append(entry)
        log.info(
            "ledger: %s version %d on %s: %s%s",
            deployment.stage,
            deployment.version,
            deployment.endpoint,
            outcome.value,
            f" ({reason})" if reason else "",
        )
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
        details: Mapping[str, str] | None = None,
    ) -> HistoryEntry:
        """Append the outcome of a smoke-test run against the live endpoint (promotion requires a passing one)."""
        check_stage(stage)
        check_version(version)
        if not reason.strip():
            raise LedgerInputError("a smoke-test record needs a reason (the summary of the run)")
        entry = self.author.entry(
            stage,
            Event.SMOKE_TEST,
            Outcome.SUCCEEDED if passed else Outcome.FAILED,
            version=version,
            model_package_arn=model_package_arn,
            endpoint=endpoint,
            endpoint_config=endpoint_config,
            reason=reason,
            details=dict(details or {}),
        )
        self.store.append(entry)
        log.info("ledger: %s smoke tests of version %d: %s", stage, version, entry.result)
        return entry

    def record_metric_gate(
        self,
        stage: str,
        version: int,
        *,
        passed: bool,
        model_package_arn: str,
        endpoint: str,
        endpoint_config: str,
        reason: str,
        details: Mapping[str, str],
    ) -> HistoryEntry:
        """Append the metric gate's decision on a candidate before its rollout (`details`: the verdict, the mode
        and every rule with the candidate's and the live version's values). One entry: nothing half-recorded."""
        check_stage(stage)
        check_version(version)
        if not reason.strip() or "verdict" not in details or "rules" not in details:
            raise LedgerInputError("a metric gate record needs a reason, the verdict and the rules")
        entry = self.author.entry(
            stage,
            Event.METRIC_GATE,
            Outcome.SUCCEEDED if passed else Outcome.FAILED,
            version=version,
            model_package_arn=model_package_arn,
            endpoint=endpoint,
            endpoint_config=endpoint_config,
            reason=reason,
            details=dict(details),
        )
        self.store.append(entry)
        log.info("ledger: %s metric gate of version %d: %s", stage, version, entry.result)
        return entry

    def record_teardown(
        self, stage: str, endpoint: str, *, version: int | None, reason: str, deleted: list[str]
    ) -> HistoryEntry:
        """Append that the stage's endpoint and the deployer's configs and models for it were deleted."""
        check_stage(stage)
        entry = self.author.entry(
            stage,
            Event.TEARDOWN,
            Outcome.SUCCEEDED,
            version=version,
            endpoint=endpoint,
            reason=reason,
            details={"deleted": ",".join(deleted)[:1000]},
        )
        self.store.append(entry)
        log.info("ledger: %s torn down (%d resource(s) deleted)", stage, len(deleted))
        return entry

    def record_lease_lost_after_change(
        self, deployment: Deployment, *, call: str, sent_config: str, owner: str, reason: str
    ) -> HistoryEntry:
        """Append that the run of `deployment` lost its lease after sending `call` with `sent_config`: the
        endpoint may have changed under the run that holds the lease now. Claims no outcome."""
        check_stage(deployment.stage)
        check_version(deployment.version)
        if not call or not owner or not reason.strip():
            raise LedgerInputError("a lost lease after a change needs the call, the run's lease owner and a reason")
        entry = self.author.entry(
            deployment.stage,
            Event.LEASE_LOST_AFTER_CHANGE,
            Outcome.RECORDED,
            deployment_id=deployment.deployment_id,
            version=deployment.version,
            model_package_arn=deployment.model_package_arn,
            endpoint=deployment.endpoint,
            endpoint_config=sent_config,
            strategy=deployment.strategy,
            reason=reason.strip(),
            details={"call": call, "endpoint_config": sent_config, "owner": owner},
        )
        self.store.append(entry)
        log.warning("ledger: %s: %s", deployment.stage, entry.reason)
        return entry

    def history(self, stage: str, limit: int | None = 50) -> list[HistoryEntry]:
        """The stage's history, newest first."""
        check_stage(stage)
        return self.store.history(stage, limit)

    def iter_history(self, stage: str, page_size: int = 50) -> Iterator[HistoryEntry]:
        """The stage's whole history, newest first, read a page at a time: a reader looking for the newest
        entry of some kind reads only as far back as that entry."""
        check_stage(stage)
        for page in self.store.history_pages(stage, page_size):
            yield from page

    def version_history(self, version: int, limit: int | None = 50) -> list[HistoryEntry]:
        """One model version's history across every stage, newest first (rollbacks appear under both versions)."""
        check_version(version)
        return self.store.version_history(version, limit)
