"""`expect.latency`: the p95 over `requests` timed invocations stays within a budget in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from deployer.smoke.answer import is_number
from deployer.smoke.checks.base import Check
from deployer.smoke.errors import CaseFailure, CheckConfigError

MAX_REQUESTS = 1000
DEFAULT_REQUESTS = 20


def p95(samples: Sequence[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass(frozen=True)
class LatencyCheck(Check):
    key: ClassVar[str] = "latency"
    p95_ms: float
    requests: int = DEFAULT_REQUESTS

    @classmethod
    def parse(cls, spec: Any) -> Self | None:
        if not isinstance(spec, dict) or set(spec) - {"p95_ms", "requests"}:
            raise CheckConfigError("expected {p95_ms, requests}")
        budget = spec.get("p95_ms")
        if not is_number(budget) or budget <= 0:
            raise CheckConfigError("expected a number of milliseconds > 0", "p95_ms")
        requests = spec.get("requests", DEFAULT_REQUESTS)
        if not isinstance(requests, int) or isinstance(requests, bool) or not 1 <= requests <= MAX_REQUESTS:
            raise CheckConfigError(f"expected an integer 1-{MAX_REQUESTS}", "requests")
        return cls(float(budget), requests)

    @property
    def timed_requests(self) -> int:
        return self.requests

    def check_latencies(self, samples_ms: Sequence[float]) -> None:
        measured = p95(samples_ms)
        if measured > self.p95_ms:
            raise CaseFailure(
                f"p95 latency {measured:.1f} ms over {len(samples_ms)} requests exceeds the budget of "
                f"{self.p95_ms:g} ms"
            )
