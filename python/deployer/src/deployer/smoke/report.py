"""What a smoke run found: one result per case, and the report over all of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CaseResult:
    name: str
    passed: bool
    reason: str
    seconds: float
    requests: int = 0
    p95_ms: float | None = None
    invoked_variant: str = ""
    custom_attributes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "reason": self.reason,
            "seconds": round(self.seconds, 6),
            "requests": self.requests,
            "p95_ms": None if self.p95_ms is None else round(self.p95_ms, 3),
            "invoked_variant": self.invoked_variant,
            "custom_attributes": self.custom_attributes,
        }


@dataclass(frozen=True)
class SmokeReport:
    endpoint: str
    results: list[CaseResult]
    started_at: str

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "passed": self.passed,
            "started_at": self.started_at,
            "cases": [r.to_dict() for r in self.results],
        }
