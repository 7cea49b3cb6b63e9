"""What chaos mode injects (`ChaosSpec`, read from JSON with errors naming the field) and the seeded draw that
decides, per call, whether and how a request is disturbed.

The draw hashes (seed, operation, n) for the n-th call of each operation, so a run is repeatable whatever order
other operations interleave in (a thread renewing a lease does not shift every later decision).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FAULTS = ("throttle", "5xx", "latency")
ENV = "SANDBOX_CHAOS"
MAX_LATENCY_MS = 30_000


class ChaosSpecError(ValueError):
    """A chaos spec the sandbox refuses; the message names the field and what is allowed."""


@dataclass(frozen=True)
class ChaosSpec:
    rate: float  # share of matching calls disturbed, 0..1
    seed: int
    faults: tuple[str, ...]  # drawn from evenly for a disturbed call
    operations: tuple[str, ...]  # fnmatch patterns on "<iam prefix>:<Operation>", e.g. "dynamodb:*"
    latency_ms: int

    def matches(self, operation: str) -> bool:
        return any(fnmatch.fnmatchcase(operation, pattern) for pattern in self.operations)

    def as_dict(self) -> dict[str, Any]:
        return {"rate": self.rate, "seed": self.seed, "faults": list(self.faults),
                "operations": list(self.operations), "latency_ms": self.latency_ms}  # fmt: skip


@dataclass(frozen=True)
class Draw:
    fault: str  # one of FAULTS
    variant: int  # picks among a fault's answers (500 or 503)


def draw(spec: ChaosSpec, operation: str, n: int) -> Draw | None:
    """The fault for the n-th call of `operation`, or None to let it through untouched."""
    digest = hashlib.sha256(f"{spec.seed}:{operation}:{n}".encode()).digest()
    if int.from_bytes(digest[:8], "big") / 2**64 >= spec.rate:
        return None
    pick = int.from_bytes(digest[8:16], "big")
    return Draw(spec.faults[pick % len(spec.faults)], int.from_bytes(digest[16:24], "big") % 2)


def _number(source: str, doc: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ChaosSpecError(f"{source}: {key}: {value!r} is not a number from {low:g} to {high:g}")
    return float(value)


def _strings(source: str, doc: Mapping[str, Any], key: str, default: list[str]) -> tuple[str, ...]:
    value = doc.get(key, default)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ChaosSpecError(f"{source}: {key}: {value!r} is not a non-empty list of strings")
    return tuple(value)


def parse_spec(doc: Any, source: str = ENV) -> ChaosSpec:
    """A spec from its JSON document: `{"rate": 0.2, "seed": 7, "faults": [...], "operations": [...],
    "latency_ms": 200}` (every key but `rate` optional)."""
    if not isinstance(doc, dict):
        raise ChaosSpecError(f"{source}: expected a JSON object, got {type(doc).__name__}")
    unknown = sorted(set(doc) - {"rate", "seed", "faults", "operations", "latency_ms"})
    if unknown:
        raise ChaosSpecError(
            f"{source}: unknown key(s) {', '.join(unknown)} (allowed: rate, seed, faults, operations, latency_ms)"
        )
    if "rate" not in doc:
        raise ChaosSpecError(f"{source}: rate: missing (a number from 0 to 1)")
    faults = _strings(source, doc, "faults", ["throttle", "5xx"])
    bad = [f for f in faults if f not in FAULTS]
    if bad:
        raise ChaosSpecError(f"{source}: faults: {', '.join(bad)} not known (allowed: {', '.join(FAULTS)})")
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ChaosSpecError(f"{source}: seed: {seed!r} is not an integer")
    return ChaosSpec(
        rate=_number(source, doc, "rate", 0.0, 0.0, 1.0),
        seed=seed,
        faults=faults,
        operations=_strings(source, doc, "operations", ["*"]),
        latency_ms=int(_number(source, doc, "latency_ms", 200, 0, MAX_LATENCY_MS)),
    )


def parse_text(text: str, source: str = ENV) -> ChaosSpec | None:
    """A spec from JSON text; None for empty text (chaos off)."""
    if not text.strip():
        return None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ChaosSpecError(f"{source}: not JSON: {exc}") from None
    return parse_spec(doc, source)
