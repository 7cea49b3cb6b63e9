"""The factory at the edge (CLI, tests, status): builds the ledger, registry marks and StageDeployer of a stage
from its config and sessions, and the StageRun over them. Nothing below this module builds clients."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from deployer import env
from deployer.ledger import Ledger, dynamodb_ledger
from deployer.promotion.context import StageContext
from deployer.promotion.lock import EndpointLock
from deployer.promotion.stage_run import StageRun
from deployer.rollout import StageDeployer

if TYPE_CHECKING:
    from deployer.config import StageConfig
    from deployer.registry_marks import RegistryMarks
    from deployer.sessions import AccountSessions


def stage_context(
    config: StageConfig,
    sessions: AccountSessions,
    *,
    build_id: str | None = None,
    keep: int = 3,
    poll_seconds: float | None = None,
    timeout_seconds: float | None = None,
) -> StageContext:
    """The ledger and the marks live in the registry account (reached with the registry role); the ledger
    records the caller of the current credentials and `build_id` (default: the CodeBuild build id)."""
    build = env.build_id() if build_id is None else build_id
    registry = config.registry

    def open_ledger() -> Ledger:
        client = sessions.client("dynamodb", registry.role_arn, registry.region)

        def who() -> str:  # the current credentials' ARN (an STS call), only once a record or a refusal names it
            return sessions.caller_arn("", config.target.region)

        return dynamodb_ledger(client, config.ledger.table_name, model=config.model, caller_arn=who, build_id=build)

    def open_marks() -> RegistryMarks:
        from deployer.registry_marks import RegistryMarks  # promote and rollback only

        return RegistryMarks(sessions.client("sagemaker", registry.role_arn, registry.region))

    def open_deployer() -> StageDeployer:
        return StageDeployer(config, sessions, poll_seconds=poll_seconds, keep=keep, timeout_seconds=timeout_seconds)

    return StageContext(config, sessions, open_ledger=open_ledger, open_marks=open_marks, open_deployer=open_deployer)


def open_stage_run(
    config: StageConfig,
    sessions: AccountSessions,
    *,
    keep: int = 3,
    poll_seconds: float | None = None,
    timeout_seconds: float | None = None,
    lock_ttl: int | None = None,
    lock_wait: float = 0.0,
    lock_poll: float | None = None,
    build_id: str | None = None,
    lock_clock: Callable[[], float] = time.monotonic,
) -> StageRun:
    """A StageRun with its lease lasting `lock_ttl` seconds (default DEPLOYER_LOCK_TTL_SECONDS), timed by the
    monotonic `lock_clock` (tests inject a stall there)."""
    context = stage_context(
        config, sessions, build_id=build_id, keep=keep, poll_seconds=poll_seconds, timeout_seconds=timeout_seconds
    )
    ttl = lock_ttl or env.lock_ttl_seconds()
    lock = EndpointLock(context, ttl=ttl, wait=lock_wait, poll=lock_poll, clock=lock_clock)
    return StageRun(context, lock)
