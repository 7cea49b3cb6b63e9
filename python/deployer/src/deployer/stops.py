"""SIGTERM is how CodeBuild stops a build (a stop request, or the build timeout). It unwinds the deployer
exactly like Ctrl-C: the running attempt is recorded as failed with the reason, autoscaling is put back if
the endpoint allows it, and the endpoint lease is released, instead of the process dying mid-write."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Stopped(KeyboardInterrupt):
    """The process was asked to stop by a signal; `str()` says which, for the ledger's reason."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name} (CodeBuild's stop or build timeout)")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextmanager
def stops_as_interrupts() -> Iterator[None]:
    """Inside, SIGTERM raises `Stopped` in the main thread; the previous handler is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (embedding in a worker thread)
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interruption_reason(exc: KeyboardInterrupt) -> str:
    """What the ledger records for an interrupted attempt."""
    return f"{exc} while the rollout ran" if isinstance(exc, Stopped) else "interrupted (SIGINT) while the rollout ran"
