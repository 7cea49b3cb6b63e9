"""The operator's rollback: choose the version to go back to (the newest good older one, or the one asked
for), then carry it out as a recorded rollout."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from deployer import endpoint as ep
from deployer.errors import InputError, NothingToDeployError
from deployer.promotion.context import StageContext
from deployer.promotion.lock import LockKeeper
from deployer.promotion.planning import stage_policy
from deployer.promotion.recorded import RecordedRollout
from deployer.registry import APPROVED, REJECTED, CandidatePolicy, ModelVersion
from deployer.rollout import RolloutResult

log = logging.getLogger(__name__)


def rollback_reason(reason: str, *, force: bool) -> str:
    """The reason to record; a forced rollback must give one. Checked before the lock is taken."""
    reason = reason.strip()
    if force and not reason:
        raise InputError('--force needs --reason "..." (the reason is recorded in the ledger)')
    return reason


def roll_back(
    context: StageContext,
    rollout: RecordedRollout,
    keeper: LockKeeper,
    *,
    to_version: int | None,
    force: bool,
    reason: str,
    if_rejected: bool = False,
) -> RolloutResult:
    """Roll back to `to_version`, or to the newest good version older than the live one. With `if_rejected`,
    only when the live version is Rejected in the registry (otherwise nothing changes). Callers hold the
    context's guard and the endpoint lock."""
    policy = stage_policy(context)
    deployer = context.deployer(policy=policy, keeper=keeper)
    live = ep.live_state(deployer.target(), context.endpoint)
    if live is None or live.version is None:
        raise InputError(f"endpoint {context.endpoint} has no live model version to roll back from")
    registry = deployer.registry()
    if if_rejected:
        status = registry.status_of(live.package_arn) if live.package_arn else ""
        if status != REJECTED:
            plan = deployer.plan(pinned=live.version, force=True)
            return RolloutResult(
                plan, "no-op", f"live v{live.version} is {status or 'unknown'}, not Rejected: nothing to do"
            )
        reason = reason or f"live v{live.version} was Rejected in the registry"
    chosen: ModelVersion | None
    if to_version is None:
        chosen, why = newest_good_older(registry.versions(), live.version, policy)
    else:
        chosen, why = check_target(registry.find(to_version), to_version, live.version, policy, force)
    if chosen is None:
        plan = deployer.plan(pinned=live.version, force=True)
        return RolloutResult(plan, "no-op", f"v{live.version} is already live on {context.endpoint}")
    plan = deployer.plan(pinned=chosen.version, force=True)
    for line in plan.lines():
        log.info(line)
    text = f"operator rollback from v{live.version} to v{chosen.version}: {reason or 'no reason given'}"
    if why:
        text += f" (forced: {why})"
    return rollout.carry_out(deployer, plan, rollback_reason=text)


def newest_good_older(versions: Iterator[ModelVersion], live: int, policy: CandidatePolicy) -> tuple[ModelVersion, str]:
    """The newest Approved version older than `live` that the policy allows; raises when there is none."""
    passed_over: list[str] = []
    for version in versions:
        if version.version >= live:
            continue
        if version.status != APPROVED:
            passed_over.append(f"v{version.version} is {version.status or 'without approval status'}")
            continue
        verdict = policy.judge(version)
        if verdict.eligible:
            return version, ""
        passed_over.append(verdict.reason)
    detail = "; ".join(passed_over[:10]) or "there is no older version"
    raise NothingToDeployError(f"nothing to roll back to: no {policy.describe()} older than live v{live} ({detail})")


def check_target(
    found: ModelVersion | None, wanted: int, live: int, policy: CandidatePolicy, force: bool
) -> tuple[ModelVersion | None, str]:
    """The version asked for and, when it is allowed only by `force`, why it would not be otherwise.
    None when it is already live."""
    if found is None:
        raise InputError(f"--to-version {wanted}: no such version in the model package group")
    if wanted == live:
        return None, ""
    if wanted > live:
        raise InputError(
            f"--to-version {wanted}: not older than live v{live} (a rollback goes back; use deploy --model-version)"
        )
    problem = ""
    if found.status != APPROVED:
        problem = f"v{wanted} is {found.status or 'without approval status'}"
    else:
        verdict = policy.judge(found)
        if not verdict.eligible:
            problem = verdict.reason
    if problem and not force:
        raise InputError(f'--to-version {wanted}: {problem} (pass --force --reason "..." to roll back anyway)')
    return found, problem
