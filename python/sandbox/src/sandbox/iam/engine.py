"""The sandbox's one authorization point: gather the policies, evaluate, log the decision.

The HTTP middleware (sandbox.ext.iam_enforce) calls it for every signed request, and extensions call it
where a service acts as a role (SageMaker hosting as the execution role, an EventBridge target as its
rule's role). `SANDBOX_IAM` chooses the mode: `enforce` (default), `audit` (decide and log, never refuse)
or `off` (no evaluation; for debugging a suspected sandbox bug, never for proving a policy).
"""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.iam import sources
from sandbox.iam.audit import AuditLog
from sandbox.iam.evaluate import describe, evaluate
from sandbox.iam.model import Authorization, Context, Decision, NamedPolicy, Principal
from sandbox.iam.principals import PrincipalDirectory

log = logging.getLogger(__name__)

MODES = ("enforce", "audit", "off")
ORGANIZATION_ID = "o-sandbox00001"


def mode() -> str:
    value = os.environ.get("SANDBOX_IAM", "enforce").strip().lower() or "enforce"
    if value not in MODES:
        raise ValueError(f"SANDBOX_IAM={value!r}: allowed values are {', '.join(MODES)}")
    return value


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    message: str

    @property
    def refused(self) -> bool:
        return not self.decision.allowed and mode() == "enforce"


class Engine:
    def __init__(self, tooling_account: str) -> None:
        self.directory = PrincipalDirectory(tooling_account)
        self.audit = AuditLog()

    def global_context(self, principal: Principal, region: str, secure: bool = True) -> dict[str, list[str]]:
        now = datetime.datetime.now(datetime.UTC)
        kind = "Account" if principal.arn.endswith(":root") else "User" if ":user/" in principal.arn else "AssumedRole"
        context = {
            "aws:principalarn": [principal.principal_arn],
            "aws:principalaccount": [principal.account],
            "aws:principaltype": [kind],
            "aws:principalorgid": [os.environ.get("SANDBOX_ORGANIZATION_ID", ORGANIZATION_ID)],
            "aws:principalisawsservice": ["false"],
            "aws:securetransport": ["true" if secure else "false"],
            "aws:requestedregion": [region],
            "aws:sourceip": ["127.0.0.1"],
            "aws:currenttime": [now.strftime("%Y-%m-%dT%H:%M:%SZ")],
            "aws:epochtime": [str(int(now.timestamp()))],
            "aws:viaawsservice": ["false"],
        }
        if kind == "User":
            context["aws:username"] = [principal.arn.rsplit("/", 1)[-1]]
        return context

    def authorize(
        self,
        principal: Principal,
        authz: Authorization,
        *,
        region: str,
        operation: str,
        context: Context | None = None,
        identity: Sequence[NamedPolicy] | None = None,
    ) -> Verdict:
        """Decide one authorization. `identity` overrides the principal's identity policies (a service
        acting for an account has none of its own)."""
        resource_account = authz.resource_account or _arn_account(authz.resource) or principal.account
        if resource_account != principal.account and not sources.resource_exists(authz.resource, region):
            # Nothing there to hold a policy: the owning account's service answers "not found", as AWS does.
            resource_account = principal.account
        full: dict[str, list[str]] = {
            k: list(v) for k, v in (context or self.global_context(principal, region)).items()
        }
        full["aws:resourceaccount"] = [resource_account]
        if authz.action.lower().startswith("kms:"):
            full["kms:calleraccount"] = [principal.account]
            aliases = sources.key_aliases(authz.resource, region)
            if aliases:
                full["kms:resourcealiases"] = aliases
        full.update({k.lower(): list(v) for k, v in authz.context.items()})
        if identity is None:
            admin = self.directory.is_admin(principal)
            identity = [] if principal.service else sources.identity_policies(principal, admin=admin)
        resource_policy = sources.resource_policy(authz.action, authz.resource, region)
        # A key policy must allow every use of its key, and a trust policy every AssumeRole. A key that does
        # not exist has none: moto then answers NotFoundException, as KMS does.
        action = authz.action.lower()
        required = action == "sts:assumerole" or (action.startswith("kms:") and resource_policy is not None)
        decision = evaluate(
            principal,
            Authorization(authz.action, authz.resource, resource_account, authz.context),
            identity_policies=identity,
            resource_policy=resource_policy,
            context=full,
            resource_policy_required=required,
        )
        message = "" if decision.allowed else describe(decision)
        self.audit.record(decision, operation, message)
        if not decision.allowed:
            log.info("iam %s: %s", "denied" if mode() == "enforce" else "would deny", message)
        return Verdict(decision, message)


def _arn_account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


_engine: Engine | None = None


def engine() -> Engine:
    """The process's engine (one sandbox server per process)."""
    global _engine
    if _engine is None:
        from sandbox.accounts import load_accounts

        _engine = Engine(load_accounts()["tooling"])
    return _engine
