"""Wildcards, ARNs and policy variables: how IAM compares a policy's text with a request's values.

- `*` matches any run of characters and `?` exactly one; nothing else is special (unlike fnmatch,
  `[` is literal).
- Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`) are replaced by the
  request's single value for that key. `${*}`, `${?}` and `${$}` stand for the literal character.
  Variables only exist in policies whose Version is 2012-10-17; older policies keep `${...}` as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.iam.keys import is_known
from sandbox.iam.model import Context

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")
_LITERALS = {"*": "*", "?": "?", "$": "$"}
ARN_PARTS = 6  # arn:partition:service:region:account:resource


class Unsupported(Exception):
    """Something in a policy the sandbox cannot evaluate; `detail` names it for the decision."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Unresolved(Exception):
    """A policy variable with no value in the request: AWS then treats the statement as not matching."""


@dataclass(frozen=True)
class Variables:
    """What policy variables resolve against: the request context, if the policy's Version allows them."""

    context: Context
    enabled: bool = True


# A pattern after variable substitution: (text, literal). Literal text came from a variable and
# never acts as a wildcard; the policy's own text does.
Token = tuple[str, bool]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _variable(name: str, variables: Variables) -> str:
    if name in _LITERALS:
        return _LITERALS[name]
    default = _DEFAULT.match(name)
    key, fallback = (default.group(1), default.group(2)) if default else (name.strip(), None)
    values = list(variables.context.get(key.lower(), ()))
    if len(values) == 1:
        return str(values[0])
    if not values and fallback is not None:
        return fallback
    if not values and not is_known(key):
        raise Unsupported(f"the policy variable ${{{key}}}")
    # Absent, or multivalued (IAM only substitutes single-valued keys).
    raise Unresolved(key)


def tokens(pattern: str, variables: Variables) -> list[Token]:
    """Split `pattern` into policy text and substituted values. Raises Unresolved/Unsupported."""
    if not variables.enabled or "${" not in pattern:
        return [(pattern, False)]
    out: list[Token] = []
    position = 0
    for match in _VARIABLE.finditer(pattern):
        out.append((pattern[position : match.start()], False))
        out.append((_variable(match.group(1), variables), True))
        position = match.end()
    out.append((pattern[position:], False))
    return [t for t in out if t[0]]


def text(parts: Sequence[Token]) -> str:
    return "".join(t for t, _ in parts)


def _regex(parts: Iterable[Token]) -> str:
    out = []
    for chunk, literal in parts:
        escaped = re.escape(chunk)
        out.append(escaped if literal else escaped.replace(r"\*", ".*").replace(r"\?", "."))
    return "".join(out)


def glob(parts: Sequence[Token], value: str, ignore_case: bool = False) -> bool:
    """Does `value` match the pattern, `*` and `?` being wildcards (outside substituted values)?"""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(_regex(parts), value, flags) is not None


def _split_arn(parts: Sequence[Token]) -> list[list[Token]]:
    """Split a pattern at its first five colons; colons inside substituted values do not split."""
    segments: list[list[Token]] = [[]]
    for chunk, literal in parts:
        pieces = [chunk] if literal else chunk.split(":")
        for index, piece in enumerate(pieces):
            if index and len(segments) < ARN_PARTS:
                segments.append([])
            elif index:
                segments[-1].append((":", False))
            if piece:
                segments[-1].append((piece, literal))
    return segments


def _ignore_case(arn: str) -> bool:
    # SageMaker lower-cases the names in its ARNs, whatever case the caller used.
    parts = arn.split(":", 3)
    return len(parts) > 2 and parts[2].lower() == "sagemaker"


def arn_like(parts: Sequence[Token], arn: str, *, strict: bool) -> bool:
    """Compare an ARN pattern segment by segment, as IAM does (a wildcard stays within its segment).

    strict (ArnLike/ArnEquals): both sides must be six-part ARNs. Otherwise (the Resource element)
    a pattern that is not a full ARN, such as "*", is matched against the whole string.
    """
    ignore_case = _ignore_case(arn)
    segments = _split_arn(parts)
    values = arn.split(":", ARN_PARTS - 1)
    if len(segments) == ARN_PARTS and len(values) == ARN_PARTS:
        return all(glob(s, v, ignore_case) for s, v in zip(segments, values, strict=True))
    return False if strict else glob(parts, arn, ignore_case)


def action_matches(patterns: Iterable[Any], action: str) -> bool:
    """Action names compare without case: `S3:getobject` is `s3:GetObject`."""
    return any(glob([(str(p), False)], action, ignore_case=True) for p in patterns)


def resource_matches(patterns: Iterable[Any], resource: str, variables: Variables) -> bool:
    """Raises Unresolved when a pattern's variable has no value (the statement then does not match)."""
    return any(arn_like(tokens(str(p), variables), resource, strict=False) for p in patterns)
