"""`StageRun`: one stage's ledger-backed verbs, a thin facade over the units of this package. Each verb that
changes something runs under the context's guard (errors translated) and the endpoint lock."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deployer.promotion.context import StageContext
from deployer.promotion.lock import EndpointLock
from deployer.promotion.planning import exports, plan_with_lock, stage_policy

if TYPE_CHECKING:  # the units of the other verbs are imported by the verb that needs them (cold start)
    from deployer.config import StageConfig
    from deployer.ledger import Lease, Ledger
    from deployer.metric_gate import GateDecision
    from deployer.promotion.events import EventPublisher
    from deployer.promotion.promote import PromoteResult
    from deployer.promotion.recorded import RecordedRollout
    from deployer.promotion.serving import ServingProof
    from deployer.promotion.teardown import TeardownResult
    from deployer.promotion.testrun import TestRun
    from deployer.registry import CandidatePolicy
    from deployer.registry_marks import RegistryMarks
    from deployer.rollout import Plan, RolloutResult, StageDeployer
    from deployer.sessions import AccountSessions


class StageRun:
    """One stage: its context (config, sessions, ledger, marks, deployer), its endpoint lock, and the verbs."""

    def __init__(self, context: StageContext, lock: EndpointLock) -> None:
        self.context = context
        self.lock = lock

    @functools.cached_property
    def rollout(self) -> RecordedRollout:
        from deployer.promotion.recorded import RecordedRollout

        return RecordedRollout(self.context)

    @functools.cached_property
    def publisher(self) -> EventPublisher:
        from deployer.promotion.events import EventPublisher

        return EventPublisher(self.context)

    # -- what the context holds ----------------------------------------------------------------------------------------

    @property
    def config(self) -> StageConfig:
        return self.context.config

    @property
    def sessions(self) -> AccountSessions:
        return self.context.sessions

    @property
    def stage(self) -> str:
        return self.context.stage

    @property
    def endpoint(self) -> str:
        return self.context.endpoint

    def guard(self) -> Any:
        return self.context.guard()

    def ledger(self) -> Ledger:
        return self.context.ledger()

    def marks(self) -> RegistryMarks:
        return self.context.marks()

    def deployer(self, *, policy: CandidatePolicy | None = None) -> StageDeployer:
        return self.context.deployer(policy=policy)

    def policy(self) -> CandidatePolicy:
        return stage_policy(self.context)

    def smoke_dir(self, config_dir: Path) -> Path:
        from deployer.promotion.testrun import smoke_dir

        return smoke_dir(self.context, config_dir)

    # -- verbs ---------------------------------------------------------------------------------------------------------

    def plan(self, *, pinned: int | None = None, force: bool = False) -> tuple[Plan, str]:
        """The plan (with why the candidate was chosen) and a line about the endpoint's lock; changes nothing."""
        return plan_with_lock(self.context, self.lock, pinned=pinned, force=force)

    def exports(self, plan: Plan, gate: GateDecision | None = None) -> dict[str, str]:
        """The plan's facts for a pipeline's approval and deploy (`deployer plan --exports`)."""
        return exports(self.context, plan, gate)

    def metric_gate(self, plan: Plan) -> GateDecision | None:
        """The metric gate's decision on the plan's candidate (None: no rules, or nothing new to judge)."""
        from deployer.promotion.gate import judge

        with self.context.guard():
            return judge(self.context, self.context.deployer(), plan)

    def preflight(self, plan: Plan) -> None:
        """Every check deploy makes before its first change, for a plan (prod's Plan action, before the
        approval): the package hosts on the configured instance type, artifacts, keys, role, alarms."""
        from deployer.rollout import Action

        if plan.action in (Action.CREATE, Action.UPDATE, Action.ROLLBACK):
            self.context.deployer().preflight(plan)

    def deploy(
        self, *, pinned: int | None = None, force: bool = False, config_dir: Path | None = None
    ) -> RolloutResult:
        """Lock the endpoint, plan, roll out, record the outcome; a no-op repairs missing records. With the
        stage's `config_dir`, its smoke cases are checked first (they run only after the switch)."""
        if config_dir is not None:
            from deployer.promotion.testrun import check_smoke_files

            with self.context.guard():
                check_smoke_files(self.context, config_dir)
        with self.context.guard(), self.lock.held() as keeper:
            return self.rollout.deploy(keeper, pinned=pinned, force=force)

    def rollback(
        self, *, to_version: int | None = None, force: bool = False, reason: str = "", if_rejected: bool = False
    ) -> RolloutResult:
        """Explicit rollback to `to_version`, or to the newest good version older than the live one. With
        `if_rejected`, only when the live version is Rejected (decided under the lock)."""
        from deployer.promotion.rollback import roll_back, rollback_reason

        reason = rollback_reason(reason, force=force)
        with self.context.guard(), self.lock.held() as keeper:
            return roll_back(
                self.context,
                self.rollout,
                keeper,
                to_version=to_version,
                force=force,
                reason=reason,
                if_rejected=if_rejected,
            )

    def teardown(self, *, reason: str) -> TeardownResult:
        """Delete the endpoint and what the deployer created for it, under the lock; recorded in the ledger."""
        from deployer.promotion.teardown import tear_down

        with self.context.guard(), self.lock.held() as keeper:
            return tear_down(self.context, keeper, reason=reason)

    def unlock(self, *, reason: str) -> Lease | None:
        """Break the endpoint's lease on purpose; the holder and `reason` go into the history. None when free."""
        with self.context.guard():
            return self.context.ledger().break_lock(self.context.endpoint, stage=self.context.stage, reason=reason)

    def prove_serving(self, *, ledger: bool = True) -> ServingProof:
        from deployer.promotion.serving import prove_serving

        return prove_serving(self.context, ledger=ledger)

    def test(
        self,
        config_dir: Path,
        *,
        junit_xml: Path | None = None,
        export_dir: Path | None = None,
        export_required: bool = False,
        record: bool = True,
    ) -> TestRun:
        """Prove what is served, run the smoke tests, write the reports, record the outcome in the ledger."""
        from deployer.promotion.testrun import run_tests

        return run_tests(
            self.context,
            config_dir,
            junit_xml=junit_xml,
            export_dir=export_dir,
            export_required=export_required,
            record=record,
        )

    def promote(self) -> PromoteResult:
        """Record "verified" for the live version, mirror the marks, and start the next stage."""
        from deployer.promotion.promote import promote

        with self.context.guard(), self.lock.held():
            return promote(self.context, self.publisher)
