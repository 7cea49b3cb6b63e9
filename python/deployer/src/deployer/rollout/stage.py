"""`StageDeployer`: one stage's rollout, plan -> preflight -> execute, over the units of this package.

Order of a deploy: prove both roles are assumable and the target account is the configured one, resolve
the candidate, read the endpoint, decide the action (`decide`); preflight every reference before the first
change (`preflight`); then model, endpoint config, create or UpdateEndpoint, wait, verify, autoscaling, tags
and cleanup (`execute`, `autoscaling`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from deployer import endpoint as ep
from deployer import env
from deployer.config import StageConfig
from deployer.errors import EndpointBusyError, InputError, NothingToDeployError
from deployer.registry import CandidatePolicy, NewestApproved, RegistryReader
from deployer.rollout.decide import Action
from deployer.rollout.execute import RolloutResult, Runner
from deployer.rollout.plan import Plan, make_plan
from deployer.rollout.preflight import Preflight, preflight
from deployer.sessions import AccountSessions, role_label

log = logging.getLogger(__name__)


class StageDeployer:
    """One stage's rollout: plan, preflight, change, wait, verify. Sessions and the candidate policy are passed
    in; the ledger, the lock and the registry marks are the caller's business (see `deployer.promotion`).

    `keepalive` is called on every poll while waiting (the promotion layer renews the endpoint lease there),
    `fence` before every mutating call (it renews the lease too, and raises when it is lost); `tolerate` with
    a call that failed transiently while waiting (it returns while the lease is ours: the wait polls again);
    `timeout_seconds` overrides the wait limit derived from the strategy.
    """

    def __init__(
        self,
        config: StageConfig,
        sessions: AccountSessions,
        *,
        policy: CandidatePolicy | None = None,
        poll_seconds: float | None = None,
        keep: int = 3,
        keepalive: Callable[[], None] | None = None,
        fence: Callable[[str], None] | None = None,
        tolerate: Callable[[BaseException, str], None] | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.policy = policy or NewestApproved()
        self.poll_seconds = poll_seconds if poll_seconds is not None else env.poll_seconds()
        self.keep = keep
        self.keepalive = keepalive
        self.fence = fence
        self.tolerate = tolerate
        self.timeout_seconds = timeout_seconds
        self._target: ep.Target | None = None
        self._registry: RegistryReader | None = None

    def target(self) -> ep.Target:
        """Clients into the target account, once its account is proven to be the configured one."""
        if self._target is None:
            t = self.config.target
            account = self.sessions.account_id(t.role_arn, t.region)
            if account != t.account_id:
                raise InputError(
                    f"{self.config.source}: target.account_id: {t.account_id} is configured, but "
                    f"{role_label(t.role_arn)} act in account {account} (allowed: the account of target.role_arn)"
                )

            def client(service: str) -> Any:
                return self.sessions.client(service, t.role_arn, t.region)

            self._target = ep.Target(client, t.account_id, t.role_arn)
        self._target.fence = self.fence
        return self._target

    def registry(self) -> RegistryReader:
        if self._registry is None:
            r = self.config.registry
            account = self.sessions.account_id(r.role_arn, r.region)
            self._registry = RegistryReader(
                self.sessions.client("sagemaker", r.role_arn, r.region), r, account, r.role_arn
            )
        return self._registry

    def plan(self, *, pinned: int | None = None, force: bool = False) -> Plan:
        """Decide what a deploy would do; changes nothing."""
        registry = self.registry()
        return make_plan(self.config, registry, self.target(), self.policy, pinned=pinned, force=force)

    def preflight(self, plan: Plan) -> Preflight:
        """Check every reference before the first change. Raise InputError, AccessDeniedError or RolloutError."""
        return preflight(self.config, self.target(), plan)

    def deploy(self, *, pinned: int | None = None, force: bool = False) -> RolloutResult:
        """Plan, then execute the plan (without a ledger: `deployer.promotion.StageRun` adds lock and records)."""
        plan = self.plan(pinned=pinned, force=force)
        for line in plan.lines():
            log.info(line)
        return self.execute(plan)

    def execute(self, plan: Plan, checked: Preflight | None = None) -> RolloutResult:
        """Carry out a plan: no-op, resume, or preflight (unless `checked` already) then roll out. Raises for
        wait and refuse."""
        if plan.action == Action.WAIT:
            raise EndpointBusyError(f"{plan.endpoint}: {plan.reason}; try again when it settles")
        if plan.action == Action.REFUSE:
            raise NothingToDeployError(f"nothing to deploy: {plan.reason} (use rollback --to-version to go back)")
        runner = Runner(
            self.config,
            self.target(),
            self.poll_seconds,
            self.keep,
            self.keepalive,
            self.timeout_seconds,
            tolerate=self.tolerate,
        )
        if plan.action == Action.NOOP:
            return runner.no_op(plan)
        if plan.action == Action.RESUME:
            return runner.resume(plan)
        return runner.roll_out(plan, checked or self.preflight(plan))
