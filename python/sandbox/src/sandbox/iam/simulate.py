"""`iam:SimulatePrincipalPolicy` and `iam:SimulateCustomPolicy`, answered by the sandbox's one evaluator.

moto has neither. The query-protocol request is decoded here, each (action, resource) pair is decided by
`sandbox.iam.evaluate`, and the answer has IAM's XML shape (EvalDecision allowed / explicitDeny /
implicitDeny, MatchedStatements). A ResourcePolicy in the request is evaluated with it, as IAM does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from sandbox.iam import sources
from sandbox.iam.evaluate import evaluate
from sandbox.iam.model import Authorization, Decision, NamedPolicy, Outcome, Principal
from sandbox.iam.statements import parse_policy

OPERATIONS = ("SimulatePrincipalPolicy", "SimulateCustomPolicy")
_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def _members(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    found: list[tuple[int, str]] = []
    prefix = f"{name}.member."
    for key, values in params.items():
        if key.startswith(prefix) and key[len(prefix) :].isdigit():
            found.append((int(key[len(prefix) :]), values[0]))
    return [value for _, value in sorted(found)]


def _context(params: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    context: dict[str, list[str]] = {}
    index = 1
    while f"ContextEntries.member.{index}.ContextKeyName" in params:
        key = params[f"ContextEntries.member.{index}.ContextKeyName"][0].lower()
        context[key] = _members(params, f"ContextEntries.member.{index}.ContextKeyValues")
        index += 1
    return context


def _principal(params: Mapping[str, Sequence[str]], source_arn: str, account: str) -> Principal:
    caller = params.get("CallerArn", [""])[0] or source_arn
    if not caller:
        root = f"arn:aws:iam::{account}:root"
        return Principal(account=account, arn=root, principal_arn=root)
    return Principal(account=caller.split(":")[4], arn=caller, principal_arn=caller)


def _decision_label(decision: Decision) -> str:
    if decision.outcome in (Outcome.EXPLICIT_DENY_IDENTITY, Outcome.EXPLICIT_DENY_RESOURCE):
        return "explicitDeny"
    return "allowed" if decision.allowed else "implicitDeny"


def _result(decision: Decision) -> str:
    refs = decision.denied_by if not decision.allowed and decision.denied_by else decision.allowed_by
    matched = "".join(
        f"<member><SourcePolicyId>{escape(r.policy)}</SourcePolicyId>"
        f"<SourcePolicyType>{'resource' if r.policy.startswith('resource') else 'IAM Policy'}"
        "</SourcePolicyType></member>"
        for r in refs
    )
    return (
        f"<member><EvalActionName>{escape(decision.authorization.action)}</EvalActionName>"
        f"<EvalResourceName>{escape(decision.authorization.resource)}</EvalResourceName>"
        f"<EvalDecision>{_decision_label(decision)}</EvalDecision>"
        f"<MatchedStatements>{matched}</MatchedStatements><MissingContextValues/></member>"
    )


def answer(operation: str, body: bytes, account: str) -> bytes:
    """The XML response to a Simulate* request sent by a caller in `account`."""
    params = parse_qs(body.decode(), keep_blank_values=True)
    source_arn = params.get("PolicySourceArn", [""])[0] if operation == "SimulatePrincipalPolicy" else ""
    principal = _principal(params, source_arn, account)
    identity: list[NamedPolicy] = []
    if source_arn:
        identity += sources.identity_policies(Principal(principal.account, source_arn, source_arn), admin=False)
    identity += [
        NamedPolicy(f"PolicyInputList.{i}", parse_policy(t))
        for i, t in enumerate(_members(params, "PolicyInputList"), 1)
    ]
    resource_text = params.get("ResourcePolicy", [""])[0]
    resource_policy = NamedPolicy("resource:ResourcePolicy", parse_policy(resource_text)) if resource_text else None
    owner = params.get("ResourceOwner", [""])[0]
    owner_account = owner.split(":")[4] if owner.count(":") >= 5 else owner
    context = {
        "aws:principalarn": [principal.principal_arn],
        "aws:principalaccount": [principal.account],
        **_context(params),
    }
    results = []
    for action in _members(params, "ActionNames"):
        for resource in _members(params, "ResourceArns") or ["*"]:
            authz = Authorization(action, resource, owner_account or principal.account)
            decision = evaluate(
                principal, authz, identity_policies=identity, resource_policy=resource_policy, context=context
            )
            results.append(_result(decision))
    return (
        f'<{operation}Response xmlns="{_NS}"><{operation}Result><IsTruncated>false</IsTruncated>'
        f"<EvaluationResults>{''.join(results)}</EvaluationResults></{operation}Result>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{operation}Response>"
    ).encode()
