"""The recorded rollout: every attempt to change the endpoint gets a `started` entry and its outcome in the
ledger, and the registry's marks follow what is live. A no-op repairs records that an earlier run missed."""

from __future__ import annotations

import logging

from deployer import endpoint as ep
from deployer.errors import (
    DeployerError,
    LockHeldError,
    NothingToDeployError,
    RecordError,
    RolledBackError,
    RolloutError,
)
from deployer.ledger import Deployment, LockLost, MarkKind, Outcome
from deployer.promotion.context import StageContext
from deployer.promotion.drift import converged_plan
from deployer.promotion.gate import judge, record_and_enforce
from deployer.promotion.history import is_success, latest_outcome
from deployer.promotion.lock import LockKeeper
from deployer.promotion.planning import stage_policy
from deployer.registry import REJECTED
from deployer.rollout import Action, Plan, RolloutResult, StageDeployer
from deployer.stops import interruption_reason

log = logging.getLogger(__name__)


class RecordedRollout:
    """Carries out plans through the context's StageDeployer and records each attempt. Callers hold the
    context's guard and the endpoint lock."""

    def __init__(self, context: StageContext) -> None:
        self.context = context

    def deploy(self, keeper: LockKeeper, *, pinned: int | None = None, force: bool = False) -> RolloutResult:
        """Plan under the promotion contract, roll out, record the outcome."""
        deployer = self.context.deployer(policy=stage_policy(self.context), keeper=keeper)
        try:
            plan = deployer.plan(pinned=pinned, force=force)
        except NothingToDeployError as exc:
            raise NothingToDeployError(f"{exc}{self._rejected_live_note(deployer)}") from exc
        plan = converged_plan(self.context, deployer, plan, pinned=pinned is not None)
        for line in plan.lines():
            log.info(line)
        return self.carry_out(deployer, plan, rollback_reason=None)

    def _rejected_live_note(self, deployer: StageDeployer) -> str:
        endpoint = self.context.endpoint
        live = ep.live_state(deployer.target(), endpoint)
        if live is None or not live.package_arn:
            return ""
        if deployer.registry().status_of(live.package_arn) != REJECTED:
            return ""
        return (
            f"; live v{live.version} is Rejected but there is no good version to roll back to, so "
            f"{endpoint} keeps serving it (approve a version, or delete the endpoint)"
        )

    def carry_out(self, deployer: StageDeployer, plan: Plan, *, rollback_reason: str | None) -> RolloutResult:
        if plan.action in (Action.WAIT, Action.REFUSE):
            return deployer.execute(plan)  # raises: nothing was attempted, so nothing is recorded
        if plan.action == Action.NOOP:
            result = deployer.execute(plan)
            self._reconcile_records(plan, result)
            return result
        context = self.context
        deployment = Deployment(
            stage=context.stage,
            version=plan.candidate_version,
            model_package_arn=plan.candidate_arn,
            endpoint=context.endpoint,
            endpoint_config=plan.config_name,
            strategy="create" if plan.action == Action.CREATE else context.config.deployment.strategy,
        )
        checked = None if plan.action == Action.RESUME else deployer.preflight(plan)  # refused: nothing recorded
        with context.guard():
            decision = judge(context, deployer, plan)
        if decision is not None:  # recorded whatever the verdict; a block stops here, before `started`
            for line in decision.lines():
                log.info(line)
            record_and_enforce(context, plan, decision)
        context.ledger().record_deployment(deployment, Outcome.STARTED, reason=f"{plan.action}: {plan.reason}")
        try:
            with context.guard():  # a lost lease (LockLost) stops the wait: it is recorded like any failure
                result = deployer.execute(plan, checked)
                self._confirm_lease()
        except DeployerError as exc:
            self._record_failure(deployment, exc)
            self._record_lost_after_change(deployment, exc)
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM from CodeBuild (deployer.stops)
            self._record_failure(deployment, DeployerError(interruption_reason(exc)))
            raise
        if self._rejected_meanwhile(deployer, plan):
            return self._undo_rejected(deployer, plan, deployment, rollback_reason)
        try:
            with context.guard():
                self._record_success(plan, deployment, result, rollback_reason)
        except DeployerError as exc:
            raise RecordError(
                f"{result.message}, but recording it failed: {exc}. Re-run `deployer deploy --stage {context.stage}`: "
                f"it finds v{plan.candidate_version} live, changes nothing and repairs the record",
                exc.exit_code,
            ) from exc
        return result

    def _rejected_meanwhile(self, deployer: StageDeployer, plan: Plan) -> bool:
        """Was the version just rolled out Rejected in the registry while its rollout ran (and baked)?"""
        with self.context.guard():
            return deployer.registry().status_of(plan.candidate_arn) == REJECTED

    def _undo_rejected(
        self, deployer: StageDeployer, plan: Plan, deployment: Deployment, rollback_reason: str | None
    ) -> RolloutResult:
        """The version went live but was Rejected meanwhile: never record it as a success; go back to the last
        good version (as a rejection of a live version does), and fail the verb."""
        reason = f"v{plan.candidate_version} was Rejected in the registry while its rollout ran"
        self._record_failure(deployment, RolledBackError(reason))
        if rollback_reason is not None:  # this was already a rollback: do not chase a second one
            raise RolloutError(f"{reason}; it is live on {plan.endpoint}: deploy again to choose a version")
        try:
            back = deployer.plan()
        except NothingToDeployError as exc:
            raise RolloutError(f"{reason}, and there is nothing to go back to ({exc}); it keeps serving") from exc
        if back.action != Action.ROLLBACK:
            raise RolloutError(f"{reason}; the next plan is {back.action} ({back.reason}), not a rollback")
        for line in back.lines():
            log.info(line)
        result = self.carry_out(deployer, back, rollback_reason=reason)
        raise RolledBackError(f"{reason}; {result.message}")

    def _record_failure(self, deployment: Deployment, exc: DeployerError) -> None:
        outcome = Outcome.ROLLED_BACK if isinstance(exc, RolledBackError) else Outcome.FAILED
        try:
            with self.context.guard():
                self.context.ledger().record_deployment(deployment, outcome, reason=str(exc) or type(exc).__name__)
        except DeployerError as record_exc:  # never hide the rollout's own error behind the ledger's
            log.error("the failure could not be recorded in the ledger: %s", record_exc)

    def _confirm_lease(self) -> None:
        """Renew the lease before claiming success: a run that lost it meanwhile claims nothing."""
        if self.context.keeper is not None:
            self.context.keeper.fence("recording the outcome")

    def _record_lost_after_change(self, deployment: Deployment, exc: DeployerError) -> None:
        """The lease was lost after this run sent a change of the endpoint that no renewal confirmed: it may have
        landed under the next holder. Record that (the call, the config it sent, this run), never a success."""
        guard = self.context.send_deadline
        if guard is None or not lease_lost(exc):
            return
        changes = guard.unconfirmed_changes()
        if not changes:
            return
        call = changes[-1]
        sent = call.endpoint_config or deployment.endpoint_config
        reason = (
            f"lost the lease on {deployment.endpoint} after {call.action} to {sent or '-'}: the endpoint may have "
            "changed under the run that holds it now (see `deployer status`; the next deploy converges it)"
        )
        try:
            with self.context.guard():
                self.context.ledger().record_lease_lost_after_change(
                    deployment, call=call.action, sent_config=sent, owner=guard.lease.owner, reason=reason
                )
        except DeployerError as record_exc:  # never hide the rollout's own error behind the ledger's
            log.error("the lost lease could not be recorded in the ledger: %s", record_exc)

    def _record_success(
        self, plan: Plan, deployment: Deployment, result: RolloutResult, rollback_reason: str | None
    ) -> None:
        context = self.context
        ledger, marks = context.ledger(), context.marks()
        if plan.action == Action.ROLLBACK and plan.live_version is not None:
            reason = rollback_reason or plan.reason
            entry = ledger.record_rollback(
                context.stage,
                from_version=plan.live_version,
                to_version=plan.candidate_version,
                endpoint=context.endpoint,
                reason=reason,
                model_package_arn=plan.candidate_arn,
                endpoint_config=plan.config_name,
                deployment_id=deployment.deployment_id,
            )
            result.outcome = "rolled-back"
            result.message = (
                f"rolled {context.stage} back from v{plan.live_version} to v{plan.candidate_version}: "
                f"{reason}; {result.message}"
            )
            if plan.live_package_arn:
                marks.mark_rolled_back(plan.live_package_arn, context.stage, entry.at)
        else:
            ledger.record_deployment(deployment, Outcome.SUCCEEDED, reason=f"{plan.action}: {plan.reason}")
        if ledger.get_mark(context.stage, plan.candidate_version, MarkKind.ROLLED_BACK) is not None:
            ledger.clear_mark(
                context.stage,
                plan.candidate_version,
                MarkKind.ROLLED_BACK,
                f"v{plan.candidate_version} deployed again ({plan.candidate_reason or plan.reason})",
            )
        marks.move_live(context.stage, plan.candidate_arn, plan.live_package_arn or None)

    def _reconcile_records(self, plan: Plan, result: RolloutResult) -> None:
        """Make the ledger and the registry say what the endpoint does (repairs a run that changed the
        endpoint but failed to record it). Nothing is written when they already agree."""
        context = self.context
        ledger = context.ledger()
        last = latest_outcome(ledger.iter_history(context.stage))
        agrees = (
            last is not None
            and is_success(last)
            and last.endpoint_config == plan.config_name
            and last.version == plan.candidate_version
        )
        if not agrees:
            if last is None:
                why = "the ledger had no deployment of this stage"
            else:
                why = f"the ledger's last outcome was v{last.version} {last.result} on {last.endpoint_config or '-'}"
            deployment = Deployment(
                context.stage, plan.candidate_version, plan.candidate_arn, context.endpoint, plan.config_name
            )
            ledger.record_deployment(
                deployment, Outcome.NO_OP, reason=f"endpoint already serves this config; recorded now because {why}"
            )
            result.warnings.append(f"repaired the ledger: {why}")
        context.marks().set_live(plan.candidate_arn, context.stage)


def lease_lost(exc: BaseException) -> bool:
    """Did `exc` come from losing the endpoint lease (the fence, the send deadline, or a renewal while waiting)?"""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, LockHeldError | LockLost):
            return True
        seen = seen.__cause__
    return False
