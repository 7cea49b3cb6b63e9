"""`expect.answers`: the answer to this case's payload is the expected one, prediction by prediction.

Ranges and schemas pass a model that answers a constant; only known answers for known inputs catch it. The
config is the list of expected predictions (one per CSV line or JSON list item; a bare value for a single
one), or `{"predictions": [...], "tolerance": ...}`. Strings, booleans and null match exactly; numbers match
within the tolerance: a number (absolute) or `{"abs": a, "rel": r}`, and a number passes when either bound
holds (as `math.isclose`). A CSV line with several cells matches a list; a cell matches a number when it
parses as one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from deployer.smoke.answer import Answer, is_number
from deployer.smoke.checks.base import Check
from deployer.smoke.errors import CaseFailure, CheckConfigError

_KEYS = ("predictions", "tolerance")
_TOLERANCE_KEYS = ("abs", "rel")
_VALUE_KINDS = "a string, a number, true, false, null, a list or an object of these"
MAX_SHOWN = 60  # characters of one value in a failure message


@dataclass(frozen=True)
class Tolerance:
    absolute: float = 0.0
    relative: float = 0.0

    def admits(self, expected: float, got: float) -> bool:
        return math.isclose(got, expected, rel_tol=self.relative, abs_tol=self.absolute)

    def __str__(self) -> str:
        return f"abs {self.absolute:g}, rel {self.relative:g}"


@dataclass(frozen=True)
class AnswersCheck(Check):
    key: ClassVar[str] = "answers"
    predictions: tuple[Any, ...]
    tolerance: Tolerance = Tolerance()

    @classmethod
    def parse(cls, spec: Any) -> Self | None:
        if spec is None:
            return None
        if isinstance(spec, dict):
            if unknown := set(spec) - set(_KEYS):
                raise CheckConfigError(f"unknown key (allowed: {', '.join(_KEYS)})", sorted(unknown)[0])
            if "predictions" not in spec:
                raise CheckConfigError(f"missing key predictions (allowed: {', '.join(_KEYS)})")
            expected, tolerance = spec["predictions"], _tolerance(spec.get("tolerance", 0))
        else:
            expected, tolerance = spec, Tolerance()
        where = "predictions" if isinstance(spec, dict) else ""
        items = expected if isinstance(expected, list) else [expected]
        for index, item in enumerate(items):
            if not _is_value(item):
                field = f"{where}[{index}]" if isinstance(expected, list) else where
                raise CheckConfigError(f"expected {_VALUE_KINDS}", field)
        if not items:
            raise CheckConfigError("expected at least one prediction", where)
        return cls(tuple(items), tolerance)

    def check_answer(self, answer: Answer) -> None:
        got = _answered(answer)
        if len(got) != len(self.predictions):
            raise CaseFailure(f"expected {len(self.predictions)} answers, got {len(got)}")
        wrong = [
            i
            for i, (want, have) in enumerate(zip(self.predictions, got, strict=True))
            if not _matches(want, have, self.tolerance)
        ]
        if wrong:
            first = wrong[0]
            raise CaseFailure(
                f"{len(wrong)} of {len(got)} answers differ from the expected ones (tolerance {self.tolerance}), "
                f"e.g. #{first + 1}: got {_shown(got[first])}, expected {_shown(self.predictions[first])}"
            )


def _tolerance(spec: Any) -> Tolerance:
    if is_number(spec):
        if spec < 0:
            raise CheckConfigError("expected a number >= 0, or {abs, rel}", "tolerance")
        return Tolerance(float(spec))
    if not isinstance(spec, dict) or set(spec) - set(_TOLERANCE_KEYS) or not spec:
        raise CheckConfigError("expected a number >= 0 (absolute), or an object with abs and/or rel", "tolerance")
    for key in _TOLERANCE_KEYS:
        if key in spec and not (is_number(spec[key]) and spec[key] >= 0):
            raise CheckConfigError("expected a number >= 0", f"tolerance.{key}")
    return Tolerance(float(spec.get("abs", 0)), float(spec.get("rel", 0)))


def _is_value(item: Any) -> bool:
    if item is None or isinstance(item, str | bool) or is_number(item):
        return True
    if isinstance(item, list):
        return all(_is_value(v) for v in item)
    return isinstance(item, dict) and all(isinstance(k, str) and _is_value(v) for k, v in item.items())


def _answered(answer: Answer) -> list[Any]:
    """One entry per prediction: a JSON list's items, or a CSV line's cell (its cells when it has several)."""
    if answer.is_json:
        answer.listed_predictions()  # fails the case when no list is where the predictions should be
        doc = answer.document
        found: Any = doc.get(answer.predictions_path) if isinstance(doc, dict) else doc
        return list(found)
    rows = [[cell.strip() for cell in line.split(",")] for line in answer.text.splitlines() if line.strip()]
    return [row[0] if len(row) == 1 else row for row in rows]


def _matches(want: Any, got: Any, tolerance: Tolerance) -> bool:
    if is_number(want):
        if isinstance(got, str):  # a CSV cell
            try:
                got = float(got)
            except ValueError:
                return False
        return is_number(got) and tolerance.admits(float(want), float(got))
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_matches(w, g, tolerance) for w, g in zip(want, got, strict=True))
        )
    if isinstance(want, dict):
        return (
            isinstance(got, dict) and set(got) == set(want) and all(_matches(want[k], got[k], tolerance) for k in want)
        )
    # Strings, booleans and null: exactly (True is not 1 here).
    return type(got) is type(want) and bool(got == want)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."
