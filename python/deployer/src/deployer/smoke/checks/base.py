"""What every kind of smoke check provides: parsing its `expect.<key>` config, and judging what came back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Self

from deployer.smoke.answer import Answer


class Check(ABC):
    """One kind of check, configured by `expect.<key>` of a case.

    `parse` raises `CheckConfigError` for a bad config. The judging hooks raise `CaseFailure` with the reason;
    a kind overrides only those it needs. Checks run in registry order and the first failure is reported.
    """

    key: ClassVar[str]

    @classmethod
    @abstractmethod
    def parse(cls, spec: Any) -> Self | None:
        """The check `spec` (the config's value, possibly null) asks for, or None when it asks for nothing."""

    @classmethod
    def absent(cls) -> Self | None:
        """The check that applies when the case has no `expect.<key>`; most kinds then check nothing."""
        return None

    @property
    def predictions_path(self) -> str | None:
        """Where a JSON answer keeps its predictions, when this check's config says so."""
        return None

    @property
    def timed_requests(self) -> int:
        """How many more invocations to time after the answer passed."""
        return 0

    def check_answer(self, answer: Answer) -> None:
        """Judge the first answer."""
        return None  # nothing to judge, unless the kind overrides this

    def check_latencies(self, samples_ms: Sequence[float]) -> None:
        """Judge the timed invocations (or the first one alone when none were asked for)."""
        return None
