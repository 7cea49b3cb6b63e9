"""An endpoint's answer as the checks see it: the decoded text, the JSON document, and its predictions.

Predictions of a JSON answer are the value at the predictions path of an object, or the answer itself when it
is not an object; of any other answer, every cell of every non-empty line, each of which must be a number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeGuard

from deployer.smoke.errors import CaseFailure

DEFAULT_PREDICTIONS_PATH = "predictions"


def is_number(value: Any) -> TypeGuard[int | float]:
    """A finite JSON number; booleans are not numbers here, although Python counts them as ints."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def numbers(value: Any) -> Iterator[float]:
    """Every finite number anywhere in a JSON value."""
    if is_number(value):
        yield float(value)
    elif isinstance(value, list):
        for item in value:
            yield from numbers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from numbers(item)


@dataclass(frozen=True)
class Predictions:
    listed: bool  # a JSON answer held a list there; other answers always count as a list of lines
    rows: int
    values: list[float]


class Answer:
    """One response body, parsed once; the predictions are read only when a check asks for them."""

    def __init__(self, text: str, content_type: str, document: Any, predictions_path: str) -> None:
        self.text = text
        self.content_type = content_type
        self.document = document  # the parsed JSON; None for other answers (and for a JSON null)
        self.predictions_path = predictions_path

    @classmethod
    def parse(cls, body: bytes, content_type: str, predictions_path: str = DEFAULT_PREDICTIONS_PATH) -> Answer:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise CaseFailure(f"answer is not UTF-8 text ({len(body)} bytes)") from None
        document = None
        if _is_json(content_type):
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CaseFailure(f"answer is not JSON ({exc.msg}): {text[:200]!r}") from None
        return cls(text, content_type, document, predictions_path)

    @property
    def is_json(self) -> bool:
        return _is_json(self.content_type)

    @cached_property
    def predictions(self) -> Predictions:
        if self.is_json:
            doc = self.document
            found = doc.get(self.predictions_path) if isinstance(doc, dict) else doc
            return Predictions(isinstance(found, list), len(found) if isinstance(found, list) else 0, [*numbers(found)])
        lines = [line for line in self.text.splitlines() if line.strip()]
        values: list[float] = []
        for number, line in enumerate(lines, 1):
            for cell in line.split(","):
                try:
                    values.append(float(cell))
                except ValueError:
                    raise CaseFailure(f"answer line {number} holds a non-numeric value {cell.strip()!r}") from None
        return Predictions(True, len(lines), values)

    def listed_predictions(self) -> Predictions:
        """The predictions, failing the case when a JSON answer holds no list where they should be."""
        if not self.predictions.listed:
            raise CaseFailure(f"answer has no list of predictions at {self.predictions_path!r}: {self.text[:200]!r}")
        return self.predictions


def _is_json(content_type: str) -> bool:
    return "json" in content_type.lower()
