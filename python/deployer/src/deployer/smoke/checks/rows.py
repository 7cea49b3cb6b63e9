"""`expect.rows`: how many predictions the answer holds (CSV lines, or the JSON predictions' length)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from deployer.smoke.answer import Answer
from deployer.smoke.checks.base import Check
from deployer.smoke.errors import CaseFailure, CheckConfigError


@dataclass(frozen=True)
class RowsCheck(Check):
    key: ClassVar[str] = "rows"
    rows: int

    @classmethod
    def parse(cls, spec: Any) -> Self | None:
        if spec is None:
            return None
        if not isinstance(spec, int) or isinstance(spec, bool) or spec < 0:
            raise CheckConfigError("expected an integer >= 0")
        return cls(spec)

    def check_answer(self, answer: Answer) -> None:
        got = answer.listed_predictions().rows
        if got != self.rows:
            raise CaseFailure(f"expected {self.rows} predictions, got {got}")
