"""The Condition element: every operator IAM defines, with AWS's rules for absent keys.

A block is true when every operator and every key in it holds (AND); a key holds when the request
matches any of its policy values (OR). Key names compare without case; the request context holds
them lower-cased. Absent keys (not in the context, or with no values):

- `...IfExists`: true (the condition only constrains requests that carry the key).
- `ForAllValues:`: true (every one of no values matches: beware in Allow statements).
- `ForAnyValue:`: false (no value can match).
- negated operators (`StringNotEquals`, `ArnNotLike`, `NumericNotEquals`, `DateNotEquals`,
  `NotIpAddress`, ...): true (an absent value equals nothing).
- every other operator: false.
- `Null`: `"true"` holds when the key is absent, `"false"` when it is present.

With a set operator, `ForAllValues:` needs every request value to hold and `ForAnyValue:` at least
one; for a negated operator, a request value holds when it matches none of the policy values.
Without a set operator a positive operator needs some request value to match and a negated one
needs no request value to match.

Policy variables are substituted in the values of string and ARN operators only, as in AWS.
An operator or key the sandbox does not know raises `Unsupported`, unless another entry of the
block is already false (the statement then does not apply whatever the unknown entry says).
"""

from __future__ import annotations

import datetime
import ipaddress
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.iam.keys import is_known
from sandbox.iam.matching import Unsupported, Variables, arn_like, as_list, glob, text, tokens
from sandbox.iam.model import Context

Test = Callable[[str, str, Variables], bool]  # (policy value, request value, variables) -> positive match
_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


def _number(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise Unsupported(f"the {name} value {value!r}") from None


def _instant(value: str, name: str) -> float:
    """Seconds since the epoch of an ISO 8601 date-time (UTC when no zone) or of epoch seconds."""
    stripped = value.strip()
    if _EPOCH.match(stripped):
        return float(stripped)
    try:
        moment = datetime.datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        raise Unsupported(f"the {name} value {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _compare(convert: Callable[[str, str], float], name: str, op: Callable[[float, float], bool]) -> Test:
    return lambda expected, actual, _: op(convert(actual, name), convert(expected, name))


def _ip(expected: str, actual: str, _: Variables) -> bool:
    try:
        return ipaddress.ip_address(actual.strip()) in ipaddress.ip_network(expected.strip(), strict=False)
    except ValueError:
        raise Unsupported(f"the IpAddress value {expected!r} or {actual!r}") from None


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}

# Positive operators, lower-cased name -> test; each negated one points at its positive form.
_TESTS: dict[str, Test] = {
    "stringequals": lambda e, a, v: text(tokens(e, v)) == a,
    "stringequalsignorecase": lambda e, a, v: text(tokens(e, v)).lower() == a.lower(),
    "stringlike": lambda e, a, v: glob(tokens(e, v), a),
    "arnequals": lambda e, a, v: arn_like(tokens(e, v), a, strict=True),
    "arnlike": lambda e, a, v: arn_like(tokens(e, v), a, strict=True),
    "bool": lambda e, a, _: e.strip().lower() == a.strip().lower(),
    "binaryequals": lambda e, a, _: e.strip() == a.strip(),
    "ipaddress": _ip,
}
for _suffix, _op in _COMPARISONS.items():
    _TESTS[f"numeric{_suffix}".lower()] = _compare(_number, f"Numeric{_suffix}", _op)
    _TESTS[f"date{_suffix}".lower()] = _compare(_instant, f"Date{_suffix}", _op)
_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
}
_QUALIFIERS = ("forallvalues", "foranyvalue")


@dataclass(frozen=True)
class Operator:
    name: str  # as the policy wrote it
    base: str  # lower-cased, without qualifier and IfExists
    qualifier: str = ""  # "forallvalues", "foranyvalue" or ""
    if_exists: bool = False

    @property
    def negated(self) -> bool:
        return self.base in _NEGATED

    def test(self, expected: str, actual: str, variables: Variables) -> bool:
        return _TESTS[_NEGATED.get(self.base, self.base)](expected, actual, variables)


def parse_operator(name: str) -> Operator | None:
    """`ForAnyValue:StringLikeIfExists` -> its parts; None for an operator IAM does not define."""
    qualifier, _, base = name.rpartition(":")
    qualifier, base = qualifier.lower(), base.lower()
    if qualifier and qualifier not in _QUALIFIERS:
        return None
    if_exists = base.endswith("ifexists") and base != "ifexists"
    base = base.removesuffix("ifexists") if if_exists else base
    if base == "null":
        return None if qualifier or if_exists else Operator(name, base)
    if base not in _TESTS and base not in _NEGATED:
        return None
    return Operator(name, base, qualifier, if_exists)


def _values(raw: Any) -> list[str]:
    # JSON booleans and numbers are written as strings in the request context.
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(raw)]


def _absent(op: Operator) -> bool:
    if op.if_exists or op.qualifier == "forallvalues":
        return True
    if op.qualifier == "foranyvalue":
        return False
    return op.negated


def _null(expected: Sequence[str], present: bool) -> bool:
    for value in expected:
        if value.strip().lower() not in ("true", "false"):
            raise Unsupported(f"the Null value {value!r}")
    return any((value.strip().lower() == "true") != present for value in expected)


def entry_holds(op: Operator, key: str, raw_expected: Any, context: Context, variables: Variables) -> bool:
    """One operator/key entry of a Condition block."""
    expected = _values(raw_expected)
    actual = [str(v) for v in context.get(key.lower(), ())]
    if op.base == "null":
        return _null(expected, bool(actual))
    if not actual:
        return _absent(op)

    def hit(value: str) -> bool:
        return any(op.test(e, value, variables) for e in expected)

    if op.qualifier == "forallvalues":
        return all(hit(a) != op.negated for a in actual)
    if op.qualifier == "foranyvalue":
        return any(hit(a) != op.negated for a in actual)
    matched = any(hit(a) for a in actual)
    return not matched if op.negated else matched


def conditions_hold(block: Any, context: Context, variables: Variables) -> bool:
    """A whole Condition block. Raises Unsupported (all unknowns named) or Unresolved."""
    if not block:
        return True
    if not isinstance(block, Mapping):
        raise Unsupported(f"the Condition element {block!r}")
    unknown: list[str] = []
    for name, entries in block.items():
        op = parse_operator(str(name))
        if op is None or not isinstance(entries, Mapping):
            unknown.append(f"the condition operator {name}")
            continue
        for key, expected in entries.items():
            if not (is_known(str(key)) or str(key).lower() in context):
                unknown.append(f"the condition key {key}")
                continue
            try:
                if not entry_holds(op, str(key), expected, context, variables):
                    return False
            except Unsupported as exc:
                unknown.append(exc.detail)
    if unknown:
        raise Unsupported(", ".join(dict.fromkeys(unknown)))
    return True
