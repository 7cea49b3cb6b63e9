"""What a stage's ledger history says: its last outcome and its last success (history is newest first; an
iterator is read only as far as needed)."""

from __future__ import annotations

from collections.abc import Iterable

from deployer.ledger import HistoryEntry, Outcome

OUTCOME_EVENTS = ("deployment", "rollback")


def is_success(entry: HistoryEntry) -> bool:
    """An outcome that leaves the endpoint on `entry.endpoint_config`: a deployment that succeeded (or a
    re-run that found it done and recorded it), or a rollback the deployer carried out."""
    if entry.event == "rollback":
        return True
    return entry.event == "deployment" and entry.result in (Outcome.SUCCEEDED.value, Outcome.NO_OP.value)


def latest_outcome(history: Iterable[HistoryEntry]) -> HistoryEntry | None:
    """The newest deployment or rollback entry that is not `started`."""
    for entry in history:
        if entry.event in OUTCOME_EVENTS and entry.result != Outcome.STARTED.value:
            return entry
    return None


def latest_success(history: Iterable[HistoryEntry]) -> HistoryEntry | None:
    for entry in history:
        if entry.event in OUTCOME_EVENTS and is_success(entry):
            return entry
    return None
