"""Validator of the `tags` section: SageMaker's tag rules (from botocore's model) and the reserved prefixes."""

from __future__ import annotations

from typing import Any

from deployer.config.aws_limits import tag_rules
from deployer.config.checker import Checker, shown

# `aws:` is AWS's own; `deployer:` keys are the ones the deployer writes (stage, version, config hash, ...),
# which a config tag would otherwise be silently overwritten by. Both are compared without case.
RESERVED_PREFIXES = ("aws:", "deployer:")
# SageMaker allows TagList's maximum per resource; the deployer's own tags take up to this many of them.
DEPLOYER_TAGS = 10


def tags(data: dict[str, Any], c: Checker) -> dict[str, str]:
    raw = data.get("tags", {})
    if not isinstance(raw, dict):
        c.add("tags", "not an object", "an object of string -> string")
        return {}
    key_rule, value_rule, most = tag_rules()
    allowed = (
        f"keys of {key_rule.describe()}, not starting with {' or '.join(RESERVED_PREFIXES)}; "
        f"string values of {value_rule.describe()}"
    )
    result: dict[str, str] = {}
    for key, value in raw.items():
        path = f"tags.{key}" if key.isprintable() else f"tags.{key!r}"
        if key.lower().startswith(RESERVED_PREFIXES):
            owner = "AWS" if key.lower().startswith("aws:") else "the deployer"
            c.add(path, f"the prefix {key.split(':', 1)[0]}: is reserved for {owner}", allowed)
        elif key_rule.problem(key):
            c.add(path, f"the key {key_rule.problem(key)}", allowed)
        elif not isinstance(value, str):
            c.add(path, f"{shown(value)} is not a string", allowed)
        elif value_rule.problem(value):
            c.add(path, f"the value {value_rule.problem(value)}", allowed)
        else:
            result[key] = value
    limit = most - DEPLOYER_TAGS
    if len(result) > limit:
        c.add("tags", f"{len(result)} tags", f"at most {limit} (SageMaker allows {most}, the deployer adds its own)")
    return result
