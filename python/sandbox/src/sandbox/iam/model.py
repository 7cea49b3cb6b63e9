"""The vocabulary of the sandbox's IAM evaluator: who calls, what they ask, and what was decided.

One evaluator (`sandbox.iam.evaluate`) decides every request; `sandbox.iam.requests` derives the
action, resource and condition context of a request; `sandbox.ext.iam_enforce` wires them to moto.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

# Condition context: condition key, lower-cased (IAM matches keys case-insensitively) -> values.
# A key absent from the mapping is "not present in the request context".
Context = Mapping[str, Sequence[str]]
PolicyDocument = Mapping[str, Any]


@dataclass(frozen=True)
class Principal:
    """Who signs the request.

    arn: the caller as GetCallerIdentity names it (`arn:aws:sts::111:assumed-role/R/session`,
         `arn:aws:iam::111:user/U`, `arn:aws:iam::111:root`).
    principal_arn: aws:PrincipalArn (the role ARN for a role session, with its path).
    service: set when a service acts on its own (e.g. "events.amazonaws.com"), not as a role.
    """

    account: str
    arn: str
    principal_arn: str
    service: str = ""

    @property
    def role_name(self) -> str | None:
        if ":assumed-role/" in self.arn:
            return self.arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        return None


@dataclass(frozen=True)
class Authorization:
    """One thing IAM checks for a request: an action on a resource, in a context.

    A request may need several (dependent actions: CreateModel needs iam:PassRole on the
    execution role; TransactWriteItems is checked per item).
    resource: the ARN, or "*" for actions without resource-level permissions.
    resource_account: the account that owns the resource ("" when the ARN has none and no
    lookup was possible: treated as the caller's own account).
    context: service-specific condition keys (global ones are added by the evaluator's caller).
    """

    action: str
    resource: str
    resource_account: str = ""
    context: Context = field(default_factory=dict)


@dataclass(frozen=True)
class NamedPolicy:
    """An identity policy with a name for the decision log and the unused-grants report."""

    name: str  # e.g. "inline:deployer" or the managed policy's ARN
    document: PolicyDocument | str  # JSON text is parsed (once per distinct text) by the evaluator


class Outcome(str, Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit-deny"  # no identity policy allows (same account) / some side misses (cross-account)
    EXPLICIT_DENY_IDENTITY = "explicit-deny-identity"
    EXPLICIT_DENY_RESOURCE = "explicit-deny-resource"
    NO_RESOURCE_POLICY_ALLOWS = "no-resource-policy-allows"  # cross-account, or a policy AWS requires (KMS, trust)
    UNSUPPORTED = "unsupported"  # an operator or key the evaluator does not know: never silently allowed


@dataclass(frozen=True)
class StatementRef:
    """Which statement decided: the policy name and the statement's Sid or index."""

    policy: str
    statement: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    principal: Principal
    authorization: Authorization
    # Allow statements that matched (identity and resource side): the report's "used grants".
    allowed_by: tuple[StatementRef, ...] = ()
    denied_by: tuple[StatementRef, ...] = ()
    detail: str = ""  # e.g. the unknown condition key

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED
