"""Who is calling, and does a resource policy let them: the small subset of IAM the sandbox enforces.

Only resource policies (model package group policies, event bus policies) are evaluated here. The rules
follow IAM: an explicit Deny wins, otherwise some Allow must match principal, action and resource.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_ROLE_SESSION = re.compile(r"^arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
_IAM_ARN = re.compile(r"^arn:([\w-]+):iam::(\d{12}):(root|role/.+|user/.+)$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Caller:
    """The identity behind a request: its account and ARN (an STS session, an IAM user or the account root)."""

    account_id: str
    arn: str

    @property
    def role_name(self) -> str | None:
        match = _ROLE_SESSION.match(self.arn)
        return match.group(3) if match else None

    @property
    def principal_arn(self) -> str:
        """aws:PrincipalArn: for a role session, IAM gives the role's ARN, not the session's."""
        match = _ROLE_SESSION.match(self.arn)
        if match:
            return f"arn:{match.group(1)}:iam::{match.group(2)}:role/{match.group(3)}"
        return self.arn


def caller_for(account_id: str, access_key: str, region: str) -> Caller:
    """Resolve the caller of a request from its access key, as sts:GetCallerIdentity would."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    partition = get_partition(region)
    role = sts_backends[account_id][partition].get_assumed_role_from_access_key(access_key)
    if role is not None:
        return Caller(account_id, str(role.arn))
    user = iam_backends[account_id][partition].get_user_from_access_key_id(access_key)
    if user is not None:
        return Caller(account_id, str(user.arn))
    return Caller(account_id, f"arn:{partition}:iam::{account_id}:root")


def account_root(account_id: str) -> Caller:
    return Caller(account_id, f"arn:aws:iam::{account_id}:root")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _principal_matches(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for entry in _as_list(principal.get("AWS")):
        entry = str(entry)
        if entry == "*":
            return True
        if _ACCOUNT_ID.match(entry):
            if entry == caller.account_id:
                return True
            continue
        if entry == caller.arn:
            return True
        match = _IAM_ARN.match(entry)
        if not match or match.group(2) != caller.account_id:
            continue
        kind = match.group(3)
        if kind == "root":
            return True
        # A role principal covers every session of that role (role paths are not part of session ARNs).
        if kind.startswith("role/") and caller.role_name == kind.rsplit("/", 1)[-1]:
            return True
    return False


def _action_matches(actions: Any, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in _as_list(actions))


def _resource_matches(resources: Any, resource: str) -> bool:
    # SageMaker lower-cases names inside package ARNs, so compare without case.
    return any(fnmatch.fnmatchcase(resource.lower(), str(r).lower()) for r in _as_list(resources))


def _condition_holds(condition: Any, caller: Caller) -> bool:
    if not condition:
        return True
    if not isinstance(condition, dict):
        return False
    for operator, checks in condition.items():
        if not isinstance(checks, dict):
            return False
        for key, expected in checks.items():
            key_l = str(key).lower()
            if key_l == "aws:principalorgid":
                # The sandbox has no AWS Organizations: all its accounts count as one organization.
                continue
            if key_l in ("aws:principalaccount", "aws:sourceaccount"):
                values = [str(v) for v in _as_list(expected)]
                if operator.lower().startswith("stringnotequals"):
                    if caller.account_id in values:
                        return False
                elif caller.account_id not in values:
                    return False
                continue
            if key_l == "aws:principalarn":
                matched = any(fnmatch.fnmatchcase(caller.principal_arn, str(v)) for v in _as_list(expected))
                if matched == operator.lower().startswith(("arnnot", "stringnot")):
                    return False
                continue
            log.warning("policy condition %s %s is not simulated; the statement does not apply", operator, key)
            return False
    return True


def _statement_applies(statement: dict[str, Any], caller: Caller, action: str, resource: str) -> bool:
    if "NotPrincipal" in statement or "NotAction" in statement or "NotResource" in statement:
        log.warning("policy statement %s uses Not* elements, which the sandbox does not simulate", statement.get("Sid"))
        return False
    return (
        _principal_matches(statement.get("Principal"), caller)
        and _action_matches(statement.get("Action"), action)
        and _resource_matches(statement.get("Resource", "*"), resource)
        and _condition_holds(statement.get("Condition"), caller)
    )


def allows(policy: str | dict[str, Any] | None, caller: Caller, action: str, resource: str) -> bool:
    """True when `policy` allows `caller` to perform `action` on `resource` (no explicit Deny)."""
    if not policy:
        return False
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        return False
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]
    allowed = False
    for statement in statements:
        if not _statement_applies(statement, caller, action, resource):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def access_denied_message(caller: Caller, action: str, resource: str) -> str:
    return (
        f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no resource-based policy allows the {action} action"
    )
