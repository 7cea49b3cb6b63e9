"""Does a resource policy's Principal (or NotPrincipal) name the caller, and how?

How it names the caller matters: a statement naming the role, the session, the user, a service or
everyone ("*") grants by itself within an account; one naming only the account (its 12-digit id or
`arn:aws:iam::ACCT:root`) delegates to the account's IAM policies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from sandbox.iam.matching import as_list
from sandbox.iam.model import Principal

_ROOT = re.compile(r"^arn:[\w-]+:iam::(\d{12}):root$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


class PrincipalMatch(Enum):
    NONE = "none"
    ACCOUNT = "account"  # names the caller's account: IAM policies of that account decide
    SPECIFIC = "specific"  # names the caller (or everyone)


def _names_account(value: str, account: str) -> bool:
    root = _ROOT.match(value)
    named = root.group(1) if root else value if _ACCOUNT_ID.match(value) else ""
    return bool(account) and named == account


def _is_root(principal: Principal) -> bool:
    root = _ROOT.match(principal.arn)
    return root is not None and root.group(1) == principal.account


def _aws_entry(value: str, principal: Principal) -> PrincipalMatch:
    if value == "*":
        return PrincipalMatch.SPECIFIC
    if principal.service:
        # A service acting on its own is named only by its service principal (or "*").
        return PrincipalMatch.NONE
    if value and value in (principal.arn, principal.principal_arn):
        return PrincipalMatch.SPECIFIC
    if _names_account(value, principal.account):
        # The root user is the account itself: naming the account names it specifically.
        return PrincipalMatch.SPECIFIC if _is_root(principal) else PrincipalMatch.ACCOUNT
    return PrincipalMatch.NONE


def _entry(kind: str, value: str, principal: Principal) -> PrincipalMatch:
    if kind == "AWS":
        return _aws_entry(value, principal)
    if kind == "Service" and principal.service and value.lower() == principal.service.lower():
        return PrincipalMatch.SPECIFIC
    # Federated and CanonicalUser principals never sign sandbox requests.
    return PrincipalMatch.NONE


def principal_match(element: Any, principal: Principal) -> PrincipalMatch:
    """How a Principal element names `principal`: the strongest of its entries."""
    if element == "*":
        return PrincipalMatch.SPECIFIC
    if not isinstance(element, Mapping):
        return PrincipalMatch.NONE
    best = PrincipalMatch.NONE
    for kind, values in element.items():
        for value in as_list(values):
            match = _entry(str(kind), str(value), principal)
            if match is PrincipalMatch.SPECIFIC:
                return match
            if match is PrincipalMatch.ACCOUNT:
                best = match
    return best


def _chain(principal: Principal) -> list[tuple[str, str]]:
    """The identities AWS checks a NotPrincipal against: account, then role or user, then session."""
    if principal.service:
        return [("Service", principal.service)]
    chain = [("AWS", f"arn:aws:iam::{principal.account}:root")]
    for arn in (principal.principal_arn, principal.arn):
        if arn and ("AWS", arn) not in chain:
            chain.append(("AWS", arn))
    return chain


def _lists(element: Mapping[str, Any], kind: str, identity: str, principal: Principal) -> bool:
    for value in as_list(element.get(kind)):
        value = str(value)
        if value == "*" or value == identity:
            return True
        if kind == "AWS" and _ROOT.match(identity) and _names_account(value, principal.account):
            return True
        if kind == "Service" and value.lower() == identity.lower():
            return True
    return False


def not_principal_excludes(element: Any, principal: Principal) -> bool:
    """Does a NotPrincipal element exempt `principal` from its statement?

    AWS checks each identity in the caller's chain (account, role or user, session), so a role
    session is exempt only if the NotPrincipal lists the account, the role and the session, as
    AWS's documentation advises. Listing fewer leaves the statement applying to the caller.
    """
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        return False
    return all(_lists(element, kind, identity, principal) for kind, identity in _chain(principal))
