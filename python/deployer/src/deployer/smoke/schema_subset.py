"""The small JSON-schema subset `expect.schema` supports: checking a schema, and validating a value by it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deployer.smoke.answer import is_number

SCHEMA_KEYS = frozenset(
    {"type", "required", "properties", "items", "minimum", "maximum", "minItems", "maxItems", "enum"}
)
TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def check_schema(schema: Any, where: str = "$") -> None:
    """Reject schemas that use keywords outside the supported subset, so a typo never passes silently."""
    if not isinstance(schema, dict):
        raise ValueError(f"{where}: a schema is an object")
    if unknown := set(schema) - SCHEMA_KEYS:
        raise ValueError(
            f"{where}: unsupported keyword {sorted(unknown)[0]!r} (supported: {', '.join(sorted(SCHEMA_KEYS))})"
        )
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    if any(k not in TYPES for k in kinds):
        raise ValueError(f"{where}.type: expected one or a list of {', '.join(sorted(TYPES))}")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise ValueError(f"{where}.required: expected a list of property names")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise ValueError(f"{where}.properties: expected an object")
    for name, sub in properties.items():
        check_schema(sub, f"{where}.properties.{name}")
    if "items" in schema:
        check_schema(schema["items"], f"{where}.items")
    for key in ("minimum", "maximum"):
        if key in schema and not is_number(schema[key]):
            raise ValueError(f"{where}.{key}: expected a number")
    for key in ("minItems", "maxItems"):
        if key in schema and (not isinstance(schema[key], int) or schema[key] < 0):
            raise ValueError(f"{where}.{key}: expected an integer >= 0")
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise ValueError(f"{where}.enum: expected a list")


def validate(value: Any, schema: Mapping[str, Any], where: str = "$") -> list[str]:
    """Every violation of `schema` by `value`, as `<json path>: <problem>` lines."""
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(value, k) for k in kinds):
            return [f"{where}: expected {' or '.join(kinds)}, got {_type_name(value)}"]
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']!r}")
    if is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: {value} is above the maximum {schema['maximum']}")
    if isinstance(value, dict):
        problems.extend(
            f"{where}: missing required property {name!r}" for name in schema.get("required", []) if name not in value
        )
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems.extend(validate(value[name], sub, f"{where}.{name}"))
    if isinstance(value, list):
        problems.extend(_list_problems(value, schema, where))
    return problems


def _list_problems(value: list[Any], schema: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        problems.append(f"{where}: {len(value)} items, expected at least {schema['minItems']}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        problems.append(f"{where}: {len(value)} items, expected at most {schema['maxItems']}")
    if "items" in schema:
        for index, item in enumerate(value):
            problems.extend(validate(item, schema["items"], f"{where}[{index}]"))
    return problems


def _is_type(value: Any, kind: str) -> bool:
    match kind:
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case "string":
            return isinstance(value, str)
        case "number":
            return is_number(value)
        case "integer":
            return is_number(value) and float(value).is_integer()
        case "boolean":
            return isinstance(value, bool)
        case "null":
            return value is None
    return False


def _type_name(value: Any) -> str:
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, kind):
            return kind
    return type(value).__name__
