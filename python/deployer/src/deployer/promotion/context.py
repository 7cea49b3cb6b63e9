"""One stage's config and sessions, and the ledger, registry marks and StageDeployer that a run works through.

The three are injected as factories (see `wiring`) and made on first use, so a run that never needs the
ledger (`test --no-ledger`, whose role cannot reach the registry account) never builds one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from deployer.errors import translated
from deployer.sessions import role_label

if TYPE_CHECKING:
    from deployer.config import StageConfig
    from deployer.ledger import Ledger
    from deployer.promotion.send_deadline import SendDeadline
    from deployer.registry import CandidatePolicy
    from deployer.registry_marks import RegistryMarks
    from deployer.rollout import StageDeployer
    from deployer.sessions import AccountSessions


class LockKeeping(Protocol):
    """What a rollout needs from the held endpoint lock (see `deployer.promotion.lock.LockKeeper`)."""

    def __call__(self) -> None: ...  # on every poll while waiting

    def tolerate(self, exc: BaseException, what: str) -> None: ...  # a transient failure while waiting

    def fence(self, action: str) -> None: ...  # before every mutating call


class StageContext:
    """What every unit of a stage run shares."""

    def __init__(
        self,
        config: StageConfig,
        sessions: AccountSessions,
        *,
        open_ledger: Callable[[], Ledger],
        open_marks: Callable[[], RegistryMarks],
        open_deployer: Callable[[], StageDeployer],
    ) -> None:
        self.config = config
        self.sessions = sessions
        self._open_ledger = open_ledger
        self._open_marks = open_marks
        self._open_deployer = open_deployer
        self._ledger: Ledger | None = None
        self._marks: RegistryMarks | None = None
        self._deployer: StageDeployer | None = None
        # Set while the endpoint lock is held: the held lease, and the before-send check with what it let through.
        self.keeper: LockKeeping | None = None
        self.send_deadline: SendDeadline | None = None

    @property
    def stage(self) -> str:
        return self.config.stage

    @property
    def endpoint(self) -> str:
        return self.config.endpoint.name

    def guard(self) -> Any:
        """Translate ledger and registry-marks errors, naming the registry account and role."""
        r = self.config.registry
        return translated(r.account_id, role_label(r.role_arn))

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = self._open_ledger()
        return self._ledger

    def marks(self) -> RegistryMarks:
        if self._marks is None:
            self._marks = self._open_marks()
        return self._marks

    def deployer(self, *, policy: CandidatePolicy | None = None, keeper: LockKeeping | None = None) -> StageDeployer:
        """The StageDeployer of this run (made once); the policy is set when given, the lock keeper's keepalive
        and fence on every call (a caller outside the lock gets neither)."""
        if self._deployer is None:
            self._deployer = self._open_deployer()
        if policy is not None:
            self._deployer.policy = policy
        self._deployer.keepalive = keeper
        self.keeper = keeper
        self._deployer.fence = keeper.fence if keeper is not None else None
        self._deployer.tolerate = keeper.tolerate if keeper is not None else None
        return self._deployer
