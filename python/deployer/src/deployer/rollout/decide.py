"""The pure planning step: what a deploy should do, given the candidate and what the endpoint runs now.

No AWS calls here: `decide` maps a `Situation` to an `Action` and a reason, so it is tested as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from deployer.endpoint.state import BUSY, IN_SERVICE
from deployer.registry import REJECTED

BROKEN = frozenset({"Failed", "OutOfService"})


class Action(StrEnum):
    """What a plan does; the values are what plan output, ledger reasons and `--output json` show."""

    CREATE = "create"
    UPDATE = "update"
    ROLLBACK = "rollback"
    NOOP = "no-op"
    RESUME = "resume"
    WAIT = "wait"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Situation:
    """Everything `decide` looks at. `live_status` None means there is no endpoint yet."""

    candidate_version: int
    config_name: str  # the endpoint config the candidate would be deployed with
    live_status: str | None = None
    live_config: str = ""
    live_version: int | None = None
    pending_config: str = ""  # the config of an update in flight
    failure_reason: str = ""
    live_approval: str = ""  # the registry status of the live package ("" when unknown)
    pinned: bool = False  # the operator chose the candidate's version
    live_config_missing: bool = False  # the endpoint's config was deleted out of band


def decide(s: Situation) -> tuple[Action, str]:
    """The action for `s` and the reason shown with it."""
    if s.live_status is None:
        return Action.CREATE, "no endpoint yet"
    if s.live_status in BROKEN:
        return Action.CREATE, f"endpoint is {s.live_status} ({s.failure_reason or 'no reason given'}); it is recreated"
    if s.live_status in BUSY:
        return _while_busy(s, s.live_status)
    gone = _live_config_gone(s)
    if gone is not None:
        return gone
    if s.live_config == s.config_name:
        if s.live_status == IN_SERVICE:
            return Action.NOOP, f"v{s.candidate_version} is already live with the same config"
        return Action.UPDATE, f"endpoint is {s.live_status}"
    if s.live_version is not None and s.candidate_version < s.live_version:
        return _older_candidate(s, s.live_version)
    if s.live_version == s.candidate_version:
        return Action.UPDATE, f"v{s.candidate_version} is live with a different config ({s.live_config})"
    live_text = f"v{s.live_version}" if s.live_version is not None else f"config {s.live_config}"
    if s.live_approval == REJECTED:
        return Action.UPDATE, f"live {live_text} was Rejected -> v{s.candidate_version}"
    return Action.UPDATE, f"{live_text} -> v{s.candidate_version}"


def _live_config_gone(s: Situation) -> tuple[Action, str] | None:
    """The endpoint serves the candidate on a config deleted out of band: never a no-op, or the stage stays with
    nothing to prove or roll back onto. The deploy recreates the config (its name is its request's hash) and
    moves the endpoint onto it, blue/green as any update."""
    if not s.live_config_missing or s.live_config != s.config_name:
        return None
    return Action.UPDATE, (
        f"endpoint config {s.live_config} is gone (deleted out of band); it is recreated for v{s.candidate_version} "
        "and the endpoint moved onto it"
    )


def _while_busy(s: Situation, status: str) -> tuple[Action, str]:
    """A change is in flight: ours from an earlier run (resume it) or someone else's (wait)."""
    ours_in_flight = s.pending_config == s.config_name or (status == "Creating" and s.live_config == s.config_name)
    if ours_in_flight:
        return Action.RESUME, f"endpoint is {status} to {s.config_name} already (an earlier run); waiting for it"
    return Action.WAIT, f"endpoint is {status}: another deployment is in progress"


def _older_candidate(s: Situation, live_version: int) -> tuple[Action, str]:
    """Going back is a rollback only when the operator pinned it or the live version was Rejected."""
    if s.pinned:
        return Action.ROLLBACK, f"operator pinned v{s.candidate_version}, older than live v{live_version}"
    if s.live_approval == REJECTED:
        return Action.ROLLBACK, f"live v{live_version} was Rejected"
    return Action.REFUSE, (
        f"candidate v{s.candidate_version} is older than live v{live_version}, which is "
        f"{s.live_approval or 'unknown'} in the registry, not Rejected: never downgrade"
    )
