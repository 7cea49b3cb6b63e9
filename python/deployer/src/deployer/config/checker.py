"""Typed reads from the raw config document that record problems instead of raising."""

from __future__ import annotations

import math
import re
from typing import Any

from deployer.config.patterns import ROLE_ARN


class Checker:
    """Each problem becomes `<file>: <field>: <message> (allowed: ...)`; a bad value reads as a neutral default."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems

    def add(self, path: str, message: str, allowed: str) -> None:
        self.problems.append(f"{self.where}: {path}: {message} (allowed: {allowed})")

    def has_problems(self, prefix: str) -> bool:
        return any(p.startswith(f"{self.where}: {prefix}") for p in self.problems)

    def section(
        self, data: dict[str, Any], key: str, keys: tuple[str, ...], *, tolerated: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        """The object at `key` (None when missing or not an object); keys outside `keys` and `tolerated` are unknown."""
        value = data.get(key)
        if value is None:
            self.add(key, "missing", f"an object with {', '.join(keys)}")
            return None
        if not isinstance(value, dict):
            self.add(key, f"is {type(value).__name__}", f"an object with {', '.join(keys)}")
            return None
        for extra in sorted(set(value) - set(keys) - set(tolerated)):
            self.add(f"{key}.{extra}", "unknown key", ", ".join(keys))
        return value

    def string(
        self, data: dict[str, Any], path: str, pattern: re.Pattern[str] | None, allowed: str, *, empty_ok: bool = False
    ) -> str:
        key = path.rsplit(".", 1)[-1]
        if key not in data:
            self.add(path, "missing", allowed)
            return ""
        value = data[key]
        if not isinstance(value, str):
            self.add(path, f"{shown(value)} is {type(value).__name__}, not a string", allowed)
            return ""
        if value == "" and empty_ok:
            return value
        if pattern is not None and not pattern.match(value):
            self.add(path, f"{value!r} is invalid", allowed)
            return ""
        return value

    def boolean(self, data: dict[str, Any], path: str) -> bool:
        key = path.rsplit(".", 1)[-1]
        value = data.get(key)
        if not isinstance(value, bool):
            self.add(path, "missing" if key not in data else f"{shown(value)} is not a boolean", "true, false")
            return False
        return value

    def integer(self, data: dict[str, Any], path: str, low: int, high: int | None, *, note: str = "") -> int:
        """An int within low-high; `note` says whose limit that is. Booleans, floats, NaN and infinities fail."""
        key = path.rsplit(".", 1)[-1]
        allowed = (f"integer {low}-{high}" if high is not None else f"integer >= {low}") + (f"; {note}" if note else "")
        value = data.get(key)
        if key not in data:
            self.add(path, "missing", allowed)
            return low
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"{shown(value)} is {_kind(value)}not an integer", allowed)
            return low
        if value < low or (high is not None and value > high):
            self.add(path, f"{value} is out of range", allowed)
            return low
        return value

    def number(self, data: dict[str, Any], path: str, above: float, at_most: float, allowed: str) -> float:
        """A finite number in (above, at_most]; booleans, NaN and infinities fail."""
        key = path.rsplit(".", 1)[-1]
        value = data.get(key)
        infinite = isinstance(value, float) and not math.isfinite(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or infinite:
            found = f"{shown(value)} is {_kind(value)}not a finite number"
            self.add(path, "missing" if key not in data else found, allowed)
            return 1.0
        if not above < value <= at_most:
            self.add(path, f"{value!r} is out of range", allowed)
            return 1.0
        return float(value)

    def choice(self, data: dict[str, Any], path: str, choices: tuple[str, ...]) -> str:
        key = path.rsplit(".", 1)[-1]
        value = data.get(key)
        if value not in choices:
            self.add(path, "missing" if key not in data else f"{value!r} is not allowed", ", ".join(choices))
            return ""
        return str(value)

    def role(self, data: dict[str, Any], path: str, account: str, *, empty_ok: bool) -> str:
        allowed = "arn:aws:iam::<account_id>:role/<name>" + (' or "" for the current credentials' if empty_ok else "")
        value = self.string(data, path, ROLE_ARN, allowed, empty_ok=empty_ok)
        match = ROLE_ARN.match(value)
        if match and account and match.group(1) != account:
            self.add(path, f"role is in account {match.group(1)}, not the section's account_id", f"a role in {account}")
        return value


def shown(value: Any) -> str:
    """How a bad value reads in a message: JSON's spelling for booleans, NaN and infinities, else repr."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return repr(value)


def _kind(value: Any) -> str:
    """Booleans are ints in Python; say so where a number is expected."""
    return "a boolean, " if isinstance(value, bool) else ""
