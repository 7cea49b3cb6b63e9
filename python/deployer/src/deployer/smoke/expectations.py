"""A case's `expect` object: the configured checks, parsed through the registry, and judging one answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from deployer.smoke.answer import DEFAULT_PREDICTIONS_PATH, Answer
from deployer.smoke.checks import CHECK_KINDS, Check
from deployer.smoke.errors import CheckConfigError

C = TypeVar("C", bound=Check)


@dataclass(frozen=True)
class Expectations:
    checks: tuple[Check, ...] = ()  # in registry order

    def find(self, kind: type[C]) -> C | None:
        return next((c for c in self.checks if isinstance(c, kind)), None)

    @property
    def predictions_path(self) -> str:
        return next((p for c in self.checks if (p := c.predictions_path)), DEFAULT_PREDICTIONS_PATH)

    @property
    def timed_requests(self) -> int:
        return max((c.timed_requests for c in self.checks), default=0)


def parse_expectations(raw: Any) -> Expectations:
    """The checks of one `expect` object; a `CheckConfigError` names the field below the case (`expect...`)."""
    if not isinstance(raw, dict):
        raise CheckConfigError("expected an object", "expect")
    if unknown := set(raw) - set(CHECK_KINDS):
        raise CheckConfigError(
            f"unknown key (allowed: {', '.join(sorted(CHECK_KINDS))})", f"expect.{sorted(unknown)[0]}"
        )
    checks: list[Check] = []
    for key, kind in CHECK_KINDS.items():
        try:
            check = kind.parse(raw[key]) if key in raw else kind.absent()
        except CheckConfigError as exc:
            below = exc.field if not exc.field or exc.field.startswith("[") else f".{exc.field}"
            raise CheckConfigError(str(exc), f"expect.{key}{below}") from None
        if check is not None:
            checks.append(check)
    return Expectations(tuple(checks))


def evaluate(body: bytes, content_type: str, expect: Expectations) -> None:
    """Check one answer against the expectations; raise CaseFailure with the first reason."""
    answer = Answer.parse(body, content_type, expect.predictions_path)
    for check in expect.checks:
        check.check_answer(answer)
