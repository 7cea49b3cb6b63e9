"""The sandbox's IAM policy evaluator: one decision for one principal, action and resource.

It follows AWS's policy evaluation logic for identity and resource policies:

1. An explicit Deny that applies wins: identity policies first, then the resource policy.
2. Same account (the resource's account is the caller's, or unknown): an Allow in an identity
   policy, or a resource policy Allow that names the caller (role, session, user, service or "*"),
   suffices. A resource policy Allow that names only the account delegates to IAM: it needs the
   identity Allow too. When the resource policy is required (KMS key policies, role trust
   policies), it must allow: naming the caller, or naming the account with an identity Allow.
3. Cross account: the identity policies and the resource policy must both allow; naming the
   caller's account counts on the resource side.
4. A service principal (events.amazonaws.com acting on its own) has no identity policies: the
   resource policy alone must allow.

Anything the sandbox cannot evaluate (an unknown condition operator or key) is reported as
UNSUPPORTED when it could change whether the request is allowed, and logged in any case; when
the decision stands either way it is recorded in the decision's detail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sandbox.iam.model import Authorization, Context, Decision, NamedPolicy, Outcome, Principal
from sandbox.iam.principal_matching import PrincipalMatch
from sandbox.iam.statements import Hit, parse_policy, scan

__all__ = ["describe", "evaluate", "parse_policy"]


def _context(*layers: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """One context with lower-cased keys; later layers win. A bare string is one value."""
    merged: dict[str, list[str]] = {}
    for layer in layers:
        for key, values in layer.items():
            merged[key.lower()] = [values] if isinstance(values, str) else [str(v) for v in values]
    return merged


def _allow_outcome(
    principal: Principal,
    authz: Authorization,
    identity_allows: bool,
    resource_allows: set[PrincipalMatch],
    required: bool,
) -> Outcome:
    specific = PrincipalMatch.SPECIFIC in resource_allows
    account = PrincipalMatch.ACCOUNT in resource_allows
    if principal.service:
        return Outcome.ALLOWED if specific else Outcome.NO_RESOURCE_POLICY_ALLOWS
    if authz.resource_account not in ("", principal.account):
        if not identity_allows:
            return Outcome.IMPLICIT_DENY
        return Outcome.ALLOWED if specific or account else Outcome.NO_RESOURCE_POLICY_ALLOWS
    if not required:
        return Outcome.ALLOWED if identity_allows or specific else Outcome.IMPLICIT_DENY
    if specific or (account and identity_allows):
        return Outcome.ALLOWED
    # The resource policy delegates to IAM and IAM does not allow; or it does not name the caller at all.
    return Outcome.IMPLICIT_DENY if account else Outcome.NO_RESOURCE_POLICY_ALLOWS


def _allows(hits: Iterable[Hit], *, doubtful: bool) -> list[Hit]:
    return [h for h in hits if h.effect == "Allow" and (doubtful or not h.unsupported)]


def _denies(hits: Iterable[Hit]) -> list[Hit]:
    return [h for h in hits if h.effect == "Deny" and not h.unsupported]


def _unsupported(hits: Iterable[Hit]) -> str:
    return "; ".join(f"{h.unsupported} (policy {h.ref.policy}, statement {h.ref.statement})" for h in hits)


def _decide(
    principal: Principal, authz: Authorization, identity: list[Hit], resource: list[Hit], required: bool
) -> tuple[Outcome, str]:
    """(outcome, detail) once no definite Deny applies."""

    def outcome(doubtful: bool) -> Outcome:
        return _allow_outcome(
            principal,
            authz,
            bool(_allows(identity, doubtful=doubtful)),
            {h.principal for h in _allows(resource, doubtful=doubtful)},
            required,
        )

    actual = outcome(doubtful=False)
    doubtful_denies = [h for h in identity + resource if h.effect == "Deny" and h.unsupported]
    doubtful_allows = [h for h in identity + resource if h.effect == "Allow" and h.unsupported]
    # An unknown that could flip the decision makes it UNSUPPORTED: never silently allowed or denied.
    if actual is Outcome.ALLOWED and doubtful_denies:
        return Outcome.UNSUPPORTED, _unsupported(doubtful_denies)
    if actual is not Outcome.ALLOWED and doubtful_allows and outcome(doubtful=True) is Outcome.ALLOWED:
        return Outcome.UNSUPPORTED, _unsupported(doubtful_allows)
    return actual, _unsupported(doubtful_denies + doubtful_allows)


def evaluate(
    principal: Principal,
    authz: Authorization,
    *,
    identity_policies: Sequence[NamedPolicy],
    resource_policy: NamedPolicy | None,
    context: Context,
    resource_policy_required: bool = False,
) -> Decision:
    """Decide one authorization. `context` holds the global keys; `authz.context` adds the service's.

    allowed_by lists every Allow statement that applies (identity and resource side) whatever the
    outcome; denied_by every Deny statement that applies. detail names what the sandbox could not
    evaluate, if anything.
    """
    merged = _context(context, authz.context)
    identity = [
        hit
        for policy in identity_policies
        for hit in scan(policy.name, policy.document, principal, authz, merged, resource_side=False)
    ]
    resource = (
        scan(resource_policy.name, resource_policy.document, principal, authz, merged, resource_side=True)
        if resource_policy is not None
        else []
    )
    allowed_by = tuple(h.ref for h in _allows(identity + resource, doubtful=False))
    identity_denies, resource_denies = _denies(identity), _denies(resource)
    denied_by = tuple(h.ref for h in identity_denies + resource_denies)
    detail = _unsupported(h for h in identity + resource if h.unsupported)
    if identity_denies:
        outcome = Outcome.EXPLICIT_DENY_IDENTITY
    elif resource_denies:
        outcome = Outcome.EXPLICIT_DENY_RESOURCE
    else:
        outcome, detail = _decide(principal, authz, identity, resource, resource_policy_required)
    return Decision(outcome, principal, authz, allowed_by, denied_by, detail)


_REASONS = {
    Outcome.IMPLICIT_DENY: "because no identity-based policy allows the {action} action",
    Outcome.EXPLICIT_DENY_IDENTITY: "with an explicit deny in an identity-based policy",
    Outcome.EXPLICIT_DENY_RESOURCE: "with an explicit deny in a resource-based policy",
    Outcome.NO_RESOURCE_POLICY_ALLOWS: "because no resource-based policy allows the {action} action",
    Outcome.UNSUPPORTED: "because the sandbox cannot evaluate {detail}",
}


def describe(decision: Decision) -> str:
    """The decision in AWS's AccessDenied wording (and a plain sentence for an allowed request)."""
    who = decision.principal.arn or decision.principal.service
    action, resource = decision.authorization.action, decision.authorization.resource
    if decision.allowed:
        return f"User: {who} is authorized to perform: {action} on resource: {resource}"
    reason = _REASONS[decision.outcome].format(action=action, detail=decision.detail)
    return f"User: {who} is not authorized to perform: {action} on resource: {resource} {reason}"
