"""Promotion: only a live, Approved, deployed-by-us, tested (and, later stages, upstream-verified) version is
recorded as verified, mirrored into the registry metadata, and announced on the next stage's bus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deployer.errors import PromotionRefusedError
from deployer.ledger import HistoryEntry, MarkKind, Outcome
from deployer.promotion.context import StageContext
from deployer.promotion.events import EventPublisher
from deployer.promotion.history import is_success, latest_outcome
from deployer.promotion.serving import ServingProof, prove_serving
from deployer.registry import APPROVED


@dataclass
class PromoteResult:
    stage: str
    version: int
    model_package_arn: str
    verified_at: str
    newly_verified: bool
    next_stage: str
    event_id: str = ""
    event_sent: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        verified = "recorded" if self.newly_verified else "already recorded"
        lines = [f"verified: v{self.version} in {self.stage} ({verified} at {self.verified_at})"]
        if self.note:
            lines.append(self.note)
        return lines


def promote(context: StageContext, publisher: EventPublisher) -> PromoteResult:
    """Record "verified" for the live version, mirror the marks, and start the next stage. Callers hold the
    context's guard and the endpoint lock."""
    serving = prove_serving(context)
    smoke = _require_promotable(context, serving)
    ledger = context.ledger()
    newly = ledger.record_verified(
        context.stage,
        serving.version,
        serving.model_package_arn,
        endpoint=context.endpoint,
        deployment_id=serving.deployment_id,
        reason=f"smoke tests passed at {smoke.at}: {smoke.reason}",
    )
    mark = ledger.get_mark(context.stage, serving.version, MarkKind.VERIFIED)
    verified_at = mark.at if mark else smoke.at
    config = context.config
    result = PromoteResult(
        context.stage, serving.version, serving.model_package_arn, verified_at, newly, config.next_stage
    )
    marks = context.marks()
    marks.mark_verified(serving.model_package_arn, context.stage, verified_at)
    marks.set_live(serving.model_package_arn, context.stage)
    _announce(context, publisher, serving, result)
    return result


def _require_promotable(context: StageContext, serving: ServingProof) -> HistoryEntry:
    """The smoke-test run that makes `serving` promotable; raises PromotionRefusedError when none does."""
    stage = context.stage
    approval = context.deployer().registry().status_of(serving.model_package_arn)
    if approval != APPROVED:
        raise PromotionRefusedError(
            f"not promoting: live v{serving.version} is {approval or 'unknown'} in the registry, not Approved"
        )
    ledger = context.ledger()
    last = latest_outcome(ledger.iter_history(stage))
    if last is not None and not is_success(last):
        raise PromotionRefusedError(
            f"not promoting: the last deployment of {stage} (v{last.version}) ended {last.result} at "
            f"{last.at}: {last.reason}"
        )
    smoke = next((e for e in ledger.iter_history(stage) if e.event == "smoke_test"), None)
    if smoke is None or smoke.at < serving.deployed_at or smoke.endpoint_config != serving.config:
        raise PromotionRefusedError(
            f"not promoting: no smoke-test run of v{serving.version} on {serving.config} since it was "
            f"deployed at {serving.deployed_at} (run `deployer test --stage {stage}` first)"
        )
    if smoke.result != Outcome.SUCCEEDED.value:
        raise PromotionRefusedError(
            f"not promoting: the smoke tests of v{serving.version} failed at {smoke.at}: {smoke.reason}"
        )
    previous = context.config.previous_stage
    if previous and not ledger.is_verified(previous, serving.version):
        raise PromotionRefusedError(
            f"not promoting: v{serving.version} was not verified in {previous} (deployed with --force?)"
        )
    return smoke


def _announce(context: StageContext, publisher: EventPublisher, serving: ServingProof, result: PromoteResult) -> None:
    """Put the event once per version and stage (the ledger's `promoted` mark says it was sent)."""
    stage, next_stage = context.stage, context.config.next_stage
    bus = context.config.promotion.next_stage_event_bus_arn
    if not bus:
        result.note = f"{stage} is the last stage: recorded only, no event"
        return
    ledger = context.ledger()
    promoted = ledger.get_mark(stage, serving.version, MarkKind.PROMOTED)
    if promoted is not None:
        result.note = f"v{serving.version} was already promoted to {next_stage} at {promoted.at}; no event sent again"
        return
    result.event_id = publisher.put(serving, result.verified_at, bus)
    result.event_sent = True
    ledger.record_promoted(
        stage,
        serving.version,
        next_stage=next_stage,
        event_id=result.event_id,
        event_bus_arn=bus,
        model_package_arn=serving.model_package_arn,
    )
    result.note = f"promoted: event {result.event_id} put on {bus} for {next_stage}"
