"""Validate a decoded response value against a botocore shape: what a real AWS answer must satisfy.

Values come from JSON or CBOR bodies (typed) or XML/headers (text, `typed=False`), so scalars are checked
by what the wire can carry: numbers, booleans and epoch timestamps natively in JSON; parseable text in XML.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.utils import parse_timestamp

Problems = list[str]


def check(shape: Shape, value: Any, path: str, *, typed: bool = True) -> Problems:
    """Every way `value` departs from `shape`, as `path: problem` lines."""
    if value is None:
        return [f"{path}: null where the model has a {shape.type_name}"]
    if isinstance(shape, StructureShape):
        return _structure(shape, value, path, typed)
    if isinstance(shape, ListShape):
        return _list(shape, value, path, typed)
    if isinstance(shape, MapShape):
        return _map(shape, value, path, typed)
    return _scalar(shape, value, path, typed)


def member_name(name: str, member: Shape) -> str:
    """The member's key on the wire (`locationName`, else its model name)."""
    return str(member.serialization.get("name", name))


def _structure(shape: StructureShape, value: Any, path: str, typed: bool) -> Problems:
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} where the model has structure {shape.name}"]
    wire = {member_name(n, m): (n, m) for n, m in shape.members.items() if not m.serialization.get("location")}
    problems: Problems = []
    for key, item in value.items():
        if key not in wire:
            problems.append(f"{path}.{key}: not a member of {shape.name}")
        else:
            problems += check(wire[key][1], item, f"{path}.{key}", typed=typed)
    for name in shape.required_members:
        member = shape.members[name]
        if not member.serialization.get("location") and member_name(name, member) not in value:
            problems.append(f"{path}.{name}: required member missing")
    return problems


def _list(shape: ListShape, value: Any, path: str, typed: bool) -> Problems:
    if not isinstance(value, list):
        return [f"{path}: {type(value).__name__} where the model has a list"]
    problems: Problems = []  # list lengths are not checked: AWS sends empty lists the model's min forbids
    for index, item in enumerate(value):
        problems += check(shape.member, item, f"{path}[{index}]", typed=typed)
    return problems


def _map(shape: MapShape, value: Any, path: str, typed: bool) -> Problems:
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} where the model has a map"]
    problems: Problems = []
    for key, item in value.items():
        problems += check(shape.key, key, f"{path}<key>", typed=typed)
        problems += check(shape.value, item, f"{path}[{key}]", typed=typed)
    return problems


def _bounds(shape: Shape, size: float, path: str, unit: str) -> Problems:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        return [f"{path}: {size} {unit}, below the model's min {low}"]
    if high is not None and size > high:
        return [f"{path}: {size} {unit}, above the model's max {high}"]
    return []


def _scalar(shape: Shape, value: Any, path: str, typed: bool) -> Problems:
    kind = shape.type_name
    if kind == "string":
        return _string(shape, value, path)
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool) if typed else _parses(int, value)
        return [] if ok else [f"{path}: {value!r} is not an {kind}"]
    if kind in ("float", "double"):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if (number if typed else _parses(float, value)) else [f"{path}: {value!r} is not a {kind}"]
    if kind == "boolean":
        ok = isinstance(value, bool) if typed else value in ("true", "false")
        return [] if ok else [f"{path}: {value!r} is not a boolean"]
    if kind == "timestamp":
        return _timestamp(value, path, typed)
    if kind == "blob":
        return [] if isinstance(value, str | bytes) else [f"{path}: {value!r} is not a blob"]
    return [f"{path}: unhandled shape type {kind}"]


def _string(shape: Shape, value: Any, path: str) -> Problems:
    if not isinstance(value, str):
        return [f"{path}: {type(value).__name__} {value!r} where the model has a string"]
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        return [f"{path}: {value!r} is not one of the model's values {enum}"]
    problems = _bounds(shape, len(value), path, "characters")
    pattern = shape.metadata.get("pattern")
    if pattern and _compiles(pattern) and re.search(pattern, value, re.DOTALL) is None:
        problems.append(f"{path}: {value!r} does not match the model's pattern {pattern}")
    return problems


def _timestamp(value: Any, path: str, typed: bool) -> Problems:
    if typed:  # JSON carries epoch seconds; CBOR a tagged epoch (decoded to a datetime)
        ok = isinstance(value, int | float | datetime.datetime) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not an epoch timestamp"]
    return [] if _parses(parse_timestamp, value) else [f"{path}: {value!r} is not a timestamp"]


def _parses(parser: Any, value: Any) -> bool:
    try:
        parser(value)
    except (TypeError, ValueError):
        return False
    return True


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:  # a Java-only construct (\p{...}): the model's pattern cannot be checked here
        return False
    return True
