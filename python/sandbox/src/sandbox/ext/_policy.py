"""Who is calling, for extensions that record the caller or act for it. Decisions belong to sandbox.iam.

The request's caller is resolved once by the IAM middleware (sandbox.ext.iam_enforce); these helpers
read it, or name the principal a service acts as (an account's root, a role's session).
"""

from __future__ import annotations

from sandbox.iam.engine import engine
from sandbox.iam.model import Authorization, NamedPolicy, Principal

__all__ = ["Principal", "account_root", "caller_for", "permits", "role_session"]
from sandbox.iam.principals import UnknownCredentials
from sandbox.iam.sources import ADMIN_POLICY


def caller_for(account_id: str, access_key: str, region: str) -> Principal:
    """The caller of a request, as sts:GetCallerIdentity would name it."""
    from sandbox.ext.iam_enforce import current_principal

    current = current_principal.get()
    if current is not None:
        return current
    try:
        return engine().directory.resolve(access_key)
    except UnknownCredentials:
        return account_root(account_id)


def account_root(account_id: str) -> Principal:
    root = f"arn:aws:iam::{account_id}:root"
    return Principal(account=account_id, arn=root, principal_arn=root)


def role_session(role_arn: str, session_name: str) -> Principal:
    """A service acting as `role_arn` (an EventBridge target's role, a pipeline's role)."""
    account = role_arn.split(":")[4]
    name = role_arn.rsplit("/", 1)[-1]
    return Principal(
        account=account, arn=f"arn:aws:sts::{account}:assumed-role/{name}/{session_name}", principal_arn=role_arn
    )


def permits(
    principal: Principal,
    action: str,
    resource: str,
    *,
    region: str,
    operation: str,
    account_level: bool = False,
    context: dict[str, list[str]] | None = None,
) -> bool:
    """Does IAM let `principal` do `action` on `resource` (logged like any request)?

    account_level: the principal is an account itself (EventBridge delivering for a rule with no role):
    only the resource policy decides.
    """
    authz = Authorization(action, resource, context=context or {})
    identity: list[NamedPolicy] | None = [ADMIN_POLICY] if account_level else None
    verdict = engine().authorize(principal, authz, region=region, operation=operation, identity=identity)
    return not verdict.refused
