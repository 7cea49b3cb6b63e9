"""`expect.values`: every predicted number lies in [min, max], and is finite even when no bound is set."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from deployer.smoke.answer import DEFAULT_PREDICTIONS_PATH, Answer, is_number
from deployer.smoke.checks.base import Check
from deployer.smoke.errors import CaseFailure, CheckConfigError

_KEYS = {"min", "max", "path"}


@dataclass(frozen=True)
class ValuesCheck(Check):
    key: ClassVar[str] = "values"
    low: float | None = None
    high: float | None = None
    path: str = DEFAULT_PREDICTIONS_PATH

    @classmethod
    def parse(cls, spec: Any) -> Self | None:
        if not isinstance(spec, dict) or set(spec) - _KEYS:
            raise CheckConfigError("expected {min, max, path}")
        low, high = spec.get("min"), spec.get("max")
        for name, bound in (("min", low), ("max", high)):
            if bound is not None and not is_number(bound):
                raise CheckConfigError("expected a number", name)
        if low is not None and high is not None and low > high:
            raise CheckConfigError(f"min {low} is greater than max {high}")
        path = spec.get("path", DEFAULT_PREDICTIONS_PATH)
        if not isinstance(path, str) or not path:
            raise CheckConfigError("expected a key of the JSON answer", "path")
        return cls(None if low is None else float(low), None if high is None else float(high), path)

    @classmethod
    def absent(cls) -> Self | None:
        # Unbounded, it still fails a CSV answer with a non-numeric or non-finite cell.
        return cls()

    @property
    def predictions_path(self) -> str | None:
        return self.path

    def check_answer(self, answer: Answer) -> None:
        bounded = self.low is not None or self.high is not None
        values = (answer.listed_predictions() if bounded else answer.predictions).values
        if bounded and not values:
            raise CaseFailure("answer holds no numeric predictions")
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        if outside := [v for v in values if not (low <= v <= high) or not math.isfinite(v)]:
            raise CaseFailure(
                f"{len(outside)} of {len(values)} predictions outside [{self.low}, {self.high}], e.g. {outside[0]}"
            )
