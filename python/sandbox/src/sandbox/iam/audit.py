"""The decision log: every authorization the sandbox decided, aggregated for the least-privilege report.

Kept compact in memory (counts per principal, action, resource and outcome; which grant statements and
actions were used), and, when SANDBOX_IAM_AUDIT_FILE names a file, appended to it one JSON line per
decision for debugging.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from sandbox.iam.model import Decision, Outcome

MAX_DENIALS = 500


@dataclass
class Denial:
    principal: str
    action: str
    resource: str
    outcome: str
    message: str
    operation: str
    count: int = 1


@dataclass
class AuditLog:
    allowed: Counter[tuple[str, str]] = field(default_factory=Counter)  # (principal arn, action) -> count
    denials: dict[tuple[str, str, str, str], Denial] = field(default_factory=dict)
    # (principal arn, policy name, statement) -> actions it allowed
    used: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    unexact: Counter[str] = field(default_factory=Counter)  # operations whose resource fell back to "*"
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _file: TextIO | None = None

    def __post_init__(self) -> None:
        path = os.environ.get("SANDBOX_IAM_AUDIT_FILE")
        if path:
            self._file = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the server

    def record(self, decision: Decision, operation: str, message: str) -> None:
        who, action = decision.principal.principal_arn, decision.authorization.action
        with self._lock:
            if decision.allowed:
                self.allowed[(who, action)] += 1
                for ref in decision.allowed_by:
                    self.used.setdefault((who, ref.policy, ref.statement), set()).add(action)
            else:
                key = (who, action, decision.authorization.resource, decision.outcome.value)
                if key in self.denials:
                    self.denials[key].count += 1
                elif len(self.denials) < MAX_DENIALS:
                    self.denials[key] = Denial(
                        who, action, decision.authorization.resource, decision.outcome.value, message, operation
                    )
            if self._file is not None:
                self._file.write(
                    json.dumps(
                        {
                            "at": time.time(),
                            "principal": decision.principal.arn,
                            "operation": operation,
                            "action": action,
                            "resource": decision.authorization.resource,
                            "outcome": decision.outcome.value,
                            "allowed_by": [f"{r.policy}#{r.statement}" for r in decision.allowed_by],
                            "message": "" if decision.allowed else message,
                        }
                    )
                    + "\n"
                )

    def note_unexact(self, operation: str) -> None:
        with self._lock:
            self.unexact[operation] += 1

    def clear(self) -> None:
        with self._lock:
            self.allowed.clear()
            self.denials.clear()
            self.used.clear()
            self.unexact.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "allowed": [{"principal": p, "action": a, "count": n} for (p, a), n in sorted(self.allowed.items())],
                "denied": [vars(d).copy() for d in self.denials.values()],
                "used": [
                    {"principal": p, "policy": pol, "statement": st, "actions": sorted(acts)}
                    for (p, pol, st), acts in sorted(self.used.items())
                ],
                "unexact_operations": dict(self.unexact),
            }


def outcome_label(outcome: Outcome) -> str:
    return outcome.value
