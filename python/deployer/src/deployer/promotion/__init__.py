"""Promotion across stages: the ledger-backed deploy, smoke tests with proof of the served version, promote,
and explicit rollback.

`StageRun` wraps one stage's `StageDeployer` with what makes "prod = exactly what staging verified" a
guarantee. It is a facade over one unit per concern:

- `context`: config, sessions and the injected ledger, registry marks and deployer (`wiring` builds them);
- `lock`: the endpoint's lease lock in the ledger around every change, renewed while waiting (`LockKeeper`);
  `send_deadline`: no mutating request leaves once the lease is nearly out by the run's clock;
- `drift`: the endpoint running a config the ledger does not say is live (shown by status, converged by deploy);
- `planning`: the candidate policy: newest Approved (first stage) or newest Approved and verified by the
  previous stage, never a version this stage was rolled back from;
- `recorded`, `rollback`: the rollout with a history entry for every attempt and its outcome, and the
  operator's rollback with its choice of target;
- `serving`, `testrun`: proof that the endpoint serves the version the ledger says was deployed, then the
  smoke tests, recorded in the ledger;
- `promote`, `events`: only a live, Approved, deployed-by-us, tested (and, later stages, upstream-verified)
  version is recorded as verified, mirrored into the registry metadata, and announced on the next stage's bus.

Every ledger/registry-marks/smoke exception is translated into the deployer hierarchy (`errors.translated`).
The versions x stages status matrix is in `deployer.status`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deployer.promotion.context import StageContext
    from deployer.promotion.events import EVENT_DETAIL_TYPE, EVENT_SOURCE, EventPublisher
    from deployer.promotion.lock import EndpointLock, LockKeeper, lock_owner
    from deployer.promotion.promote import PromoteResult
    from deployer.promotion.serving import ServingProof
    from deployer.promotion.stage_run import StageRun
    from deployer.promotion.testrun import TestRun
    from deployer.promotion.wiring import open_stage_run, stage_context

# Each name is imported from its unit on first use (PEP 562), so that importing one unit (the CLI's plan imports
# `wiring`) does not import them all: testrun brings the smoke tests, promote the registry marks and events.
_UNITS = {
    "EVENT_DETAIL_TYPE": "events",
    "EVENT_SOURCE": "events",
    "EndpointLock": "lock",
    "EventPublisher": "events",
    "LockKeeper": "lock",
    "PromoteResult": "promote",
    "ServingProof": "serving",
    "StageContext": "context",
    "StageRun": "stage_run",
    "TestRun": "testrun",
    "lock_owner": "lock",
    "open_stage_run": "wiring",
    "stage_context": "wiring",
}


def __getattr__(name: str) -> Any:
    unit = _UNITS.get(name)
    if unit is None:  # a unit itself, as `import deployer.promotion` then `deployer.promotion.lock` had it
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{unit}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_UNITS])


__all__ = [
    "EVENT_DETAIL_TYPE",
    "EVENT_SOURCE",
    "EndpointLock",
    "EventPublisher",
    "LockKeeper",
    "PromoteResult",
    "ServingProof",
    "StageContext",
    "StageRun",
    "TestRun",
    "lock_owner",
    "open_stage_run",
    "stage_context",
]
