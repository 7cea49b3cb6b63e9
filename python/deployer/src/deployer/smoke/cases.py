"""Loading `<smoke_tests.dir>/cases.json`: every case validated, every payload inside that directory."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.smoke.errors import CheckConfigError, SmokeConfigError
from deployer.smoke.expectations import Expectations, parse_expectations

CASES_FILE = "cases.json"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's real-time payload limit
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CASE_KEYS = {"name", "payload", "content_type", "accept", "expect", "target_variant"}
_TOP_KEYS = {"cases", "schema_version"}


@dataclass(frozen=True)
class SmokeCase:
    name: str
    payload: Path
    content_type: str
    accept: str
    expect: Expectations = field(default_factory=Expectations)
    target_variant: str = ""  # empty: let the endpoint route


def load_cases(smoke_dir: Path | str, filename: str = CASES_FILE) -> list[SmokeCase]:
    """Read and validate `<smoke_dir>/<filename>`; every payload must exist inside `smoke_dir`."""
    root = Path(smoke_dir)
    path = root / filename
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SmokeConfigError(f"{path}: smoke-test file not found (set smoke_tests.dir in the stage config)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SmokeConfigError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SmokeConfigError(f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    items = raw.get("cases") if isinstance(raw, dict) else raw
    if isinstance(raw, dict) and set(raw) - _TOP_KEYS:
        raise SmokeConfigError(f"{path}: unknown top-level keys {sorted(set(raw) - _TOP_KEYS)}")
    if not isinstance(items, list) or not items:
        raise SmokeConfigError(f"{path}: cases: expected a non-empty list of cases")
    cases: list[SmokeCase] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        case = _case(path, root, f"cases[{index}]", item)
        if case.name in seen:
            raise SmokeConfigError(f"{path}: cases[{index}].name: duplicate case name {case.name!r}")
        seen.add(case.name)
        cases.append(case)
    return cases


def _case(path: Path, root: Path, where: str, item: Any) -> SmokeCase:
    def fail(name: str, message: str) -> SmokeConfigError:
        return SmokeConfigError(f"{path}: {where}.{name}: {message}")

    if not isinstance(item, dict):
        raise SmokeConfigError(f"{path}: {where}: expected an object")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise fail("name", "expected 1-64 characters of [A-Za-z0-9_.-]")
    where = f"{where}({name})"
    if unknown := set(item) - _CASE_KEYS:
        raise fail(sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(_CASE_KEYS))})")
    content_type = item.get("content_type")
    if not isinstance(content_type, str) or not content_type:
        raise fail("content_type", "expected a MIME type such as text/csv or application/json")
    accept = item.get("accept", content_type)
    if not isinstance(accept, str) or not accept:
        raise fail("accept", "expected a MIME type")
    target_variant = item.get("target_variant", "")
    if not isinstance(target_variant, str):
        raise fail("target_variant", "expected a variant name")
    payload_rel = item.get("payload")
    if not isinstance(payload_rel, str) or not payload_rel or Path(payload_rel).is_absolute():
        raise fail("payload", "expected a path relative to the cases file")
    payload = (root / payload_rel).resolve()
    if not payload.is_relative_to(root.resolve()):
        raise fail("payload", f"{payload_rel} points outside {root}")
    if not payload.is_file():
        raise fail("payload", f"file {payload_rel} not found in {root}")
    if payload.stat().st_size > MAX_PAYLOAD_BYTES:
        raise fail("payload", f"{payload_rel} is larger than InvokeEndpoint's {MAX_PAYLOAD_BYTES} bytes")
    try:
        expect = parse_expectations(item.get("expect", {}))
    except CheckConfigError as exc:
        raise fail(exc.field, str(exc)) from None
    return SmokeCase(name, payload, content_type, accept, expect, target_variant)
