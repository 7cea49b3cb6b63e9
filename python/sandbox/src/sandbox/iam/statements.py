"""Policy documents in one shape, and which of their statements apply to a request."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.iam.conditions import conditions_hold
from sandbox.iam.matching import Unresolved, Unsupported, Variables, action_matches, as_list, resource_matches
from sandbox.iam.model import Authorization, Context, Principal, StatementRef
from sandbox.iam.principal_matching import PrincipalMatch, not_principal_excludes, principal_match

log = logging.getLogger(__name__)

VARIABLES_VERSION = "2012-10-17"  # older policy language versions have no policy variables
_LISTS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPALS = ("Principal", "NotPrincipal")


def _condition_values(value: Any) -> list[str]:
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(value)]


def _statement(raw: Mapping[str, Any]) -> dict[str, Any]:
    statement = dict(raw)
    for name in _LISTS:
        if name in statement:
            statement[name] = [str(v) for v in as_list(statement[name])]
    for name in _PRINCIPALS:
        if isinstance(statement.get(name), Mapping):
            statement[name] = {str(k): [str(v) for v in as_list(v)] for k, v in statement[name].items()}
    condition = statement.get("Condition")
    if isinstance(condition, Mapping):
        statement["Condition"] = {
            str(op): {str(k): _condition_values(v) for k, v in entries.items()}
            if isinstance(entries, Mapping)
            else entries
            for op, entries in condition.items()
        }
    return statement


def parse_policy(source: str | bytes | Mapping[str, Any] | None) -> dict[str, Any]:
    """A policy document as `{"Version": ..., "Statement": [statement, ...]}`.

    Accepts JSON text or a mapping; a document whose Statement is one object, or a bare statement.
    Action/NotAction/Resource/NotResource become lists of strings, Principal entries lists, and
    Condition values lists of strings (JSON true/false as "true"/"false"). None or "" is an empty
    policy. Raises ValueError for text that is not JSON or a document that is not an object.
    """
    if source is None or source in ("", b""):
        return {"Statement": []}
    if isinstance(source, str | bytes):
        # Every request re-reads the same few documents: parse each text once (callers never mutate it).
        return _parse_text(source if isinstance(source, str) else source.decode())
    return _parse_mapping(source)


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"a policy document is not JSON: {exc}") from exc
    return _parse_mapping(document)


def _parse_mapping(document: Any) -> dict[str, Any]:
    if not isinstance(document, Mapping):
        raise ValueError(f"a policy document is a JSON object, not {type(document).__name__}")
    if "Statement" not in document and "Effect" in document:
        document = {"Statement": [document]}
    parsed = {str(k): v for k, v in document.items() if k != "Statement"}
    parsed["Statement"] = [_statement(s) for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]
    return parsed


@dataclass(frozen=True)
class Hit:
    """A statement whose principal, action and resource match the request (and conditions hold).

    unsupported: set when the sandbox could not evaluate part of the statement; it names what.
    principal: how a resource policy statement names the caller (SPECIFIC for identity policies).
    """

    ref: StatementRef
    effect: str
    principal: PrincipalMatch
    unsupported: str = ""


def _principal(statement: Mapping[str, Any], principal: Principal, resource_side: bool) -> PrincipalMatch:
    if not resource_side:
        # Identity policies apply to the identity they are attached to (IAM rejects Principal there).
        return PrincipalMatch.SPECIFIC
    if "NotPrincipal" in statement:
        excluded = not_principal_excludes(statement["NotPrincipal"], principal)
        return PrincipalMatch.NONE if excluded else PrincipalMatch.SPECIFIC
    return principal_match(statement.get("Principal"), principal)


def _action(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not action_matches(statement["NotAction"], action)
    return action_matches(statement.get("Action", ()), action)


def _resource(statement: Mapping[str, Any], resource: str, variables: Variables, resource_side: bool) -> bool:
    if "NotResource" in statement:
        return not resource_matches(statement["NotResource"], resource, variables)
    if "Resource" in statement:
        return resource_matches(statement["Resource"], resource, variables)
    # A resource policy statement without Resource is about the resource it is attached to.
    return resource_side


def _applies(statement: Mapping[str, Any], authz: Authorization, variables: Variables, resource_side: bool) -> bool:
    """Action, resource and conditions. Raises Unsupported; an unresolved variable means "no"."""
    try:
        return (
            _action(statement, authz.action)
            and _resource(statement, authz.resource, variables, resource_side)
            and conditions_hold(statement.get("Condition"), variables.context, variables)
        )
    except Unresolved:
        return False


def scan(
    name: str,
    document: Mapping[str, Any] | str,
    principal: Principal,
    authz: Authorization,
    context: Context,
    *,
    resource_side: bool,
) -> list[Hit]:
    """The statements of one policy that apply to the request, in document order."""
    parsed = parse_policy(document)
    variables = Variables(context, enabled=str(parsed.get("Version", "")) == VARIABLES_VERSION)
    hits: list[Hit] = []
    for index, statement in enumerate(parsed["Statement"]):
        effect = str(statement.get("Effect", ""))
        if effect not in ("Allow", "Deny"):
            continue
        match = _principal(statement, principal, resource_side)
        if match is PrincipalMatch.NONE:
            continue
        ref = StatementRef(name, str(statement.get("Sid") or f"#{index}"))
        try:
            if _applies(statement, authz, variables, resource_side):
                hits.append(Hit(ref, effect, match))
        except Unsupported as exc:
            log.warning(
                "IAM: %s statement %s (%s %s on %s) cannot be evaluated: %s",
                name, ref.statement, effect, authz.action, authz.resource, exc.detail,
            )  # fmt: skip
            hits.append(Hit(ref, effect, match, exc.detail))
    return hits
