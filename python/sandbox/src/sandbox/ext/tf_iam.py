"""IAM policy evaluation the tf_* extensions share, and CodePipeline's trust check done as AWS does.

moto's CodePipeline refuses a role unless every trust statement has a single string
`Principal.Service` equal to codepipeline.amazonaws.com, so a role trusted by several services
(`"Service": ["codepipeline.amazonaws.com", "events.amazonaws.com"]`) is "not authorized to
perform AssumeRole". AWS asks whether the trust policy lets the service assume the role. moto's
own condition support (`moto.iam.policy_conditions`) knows only StringEquals and silently ignores
the rest; the evaluator here implements the operators these modules use.
"""

from __future__ import annotations

import contextvars
import fnmatch
import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moto.codepipeline.models import CodePipelineBackend
from moto.iam.models import IAMBackend, Role, iam_backends

log = logging.getLogger(__name__)

# Request context: condition key (lower-cased, as AWS matches keys case-insensitively) -> values.
Context = Mapping[str, Sequence[str]]

_STRING_OPS = ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
               "StringLike", "StringNotLike", "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike")  # fmt: skip
_NUMERIC_OPS = ("NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
                "NumericGreaterThan", "NumericGreaterThanEquals")  # fmt: skip


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    # IAM wildcards are * and ?; fnmatch would also treat [ ] as a class, so escape them.
    pattern = pattern.replace("[", "[[]")
    if ignore_case:
        return fnmatch.fnmatchcase(value.lower(), pattern.lower())
    return fnmatch.fnmatchcase(value, pattern)


def _arn_like(pattern: str, value: str) -> bool:
    # ARN matching is per colon-separated field (the resource part keeps its colons).
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(_like(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _one(op: str, expected: str, actual: str) -> bool:
    """Does one actual value match one policy value under the positive form of `op`?"""
    if op == "StringEquals":
        return actual == expected
    if op == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if op == "StringLike":
        return _like(expected, actual)
    if op in ("ArnEquals", "ArnLike"):
        return _arn_like(expected, actual)
    if op == "Bool":
        return actual.lower() == str(expected).lower()
    if op.startswith("Numeric"):
        a, e = float(actual), float(expected)
        return {
            "NumericEquals": a == e,
            "NumericLessThan": a < e,
            "NumericLessThanEquals": a <= e,
            "NumericGreaterThan": a > e,
            "NumericGreaterThanEquals": a >= e,
        }[op]
    raise KeyError(op)


_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


class UnsupportedCondition(ValueError):
    """A condition operator the sandbox does not evaluate (Date*, IpAddress, Binary*)."""


def condition_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    """One operator/key entry of a Condition block, with AWS's rules for absent keys and negation."""
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    expected_values = [str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(expected)]
    actual_values = list(context.get(key.lower(), ()))

    if operator == "Null":
        # Null true means "the key is absent".
        return any((not actual_values) == (v.lower() == "true") for v in expected_values)
    positive = _NEGATIONS.get(operator, operator)
    if positive not in (*_STRING_OPS, *_NUMERIC_OPS, "Bool"):
        raise UnsupportedCondition(operator)
    negated = positive != operator
    if not actual_values:
        # Absent key: IfExists passes; negated operators pass; the rest fail. ForAllValues passes.
        return if_exists or negated or qualifier == "ForAllValues"

    def matches(actual: str) -> bool:
        hit = any(_one(positive, e, actual) for e in expected_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(matches(a) for a in actual_values)
    return any(matches(a) for a in actual_values)


def conditions_hold(block: Mapping[str, Mapping[str, Any]] | None, context: Context) -> bool:
    """A whole Condition block: every operator and every key must hold (logical AND)."""
    for operator, entries in (block or {}).items():
        for key, expected in entries.items():
            if not condition_holds(operator, key, expected, context):
                return False
    return True


def principal_matches(principal: Any, principal_arn: str | None, account: str | None) -> bool:
    """Does a statement's Principal name the caller? `*` names everyone, an account names its principals."""
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for value in as_list(principal.get("AWS")):
        if value == "*":
            return True
        if principal_arn and value == principal_arn:
            return True
        if account and value in (account, f"arn:aws:iam::{account}:root"):
            return True
    return False


def service_trusted(document: str | Mapping[str, Any], service: str, context: Context) -> bool:
    """Does a trust policy let `service` (e.g. codepipeline.amazonaws.com) call sts:AssumeRole?"""
    policy = json.loads(document) if isinstance(document, str) else document
    allowed = False
    for statement in as_list(policy.get("Statement")):
        actions = as_list(statement.get("Action"))
        if not any(_like(a, "sts:AssumeRole", ignore_case=True) for a in actions):
            continue
        principal = statement.get("Principal")
        services = as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
        if principal != "*" and service not in services:
            continue
        try:
            holds = conditions_hold(statement.get("Condition"), context)
        except UnsupportedCondition as exc:
            log.warning("trust policy condition %s not evaluated; treating it as not met", exc)
            holds = False
        if not holds:
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


# The pipeline being created, so the trust check can offer aws:SourceArn as CodePipeline does.
_creating: contextvars.ContextVar[str | None] = contextvars.ContextVar("sandbox_pipeline_arn", default=None)


class _TrustView:
    """IAM backend seen by CodePipeline's create check: a role that trusts the service reads as
    moto's check expects, one that does not reads as untrusted."""

    def __init__(self, backend: IAMBackend, context: Context) -> None:
        self._backend = backend
        self._context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def get_role_by_arn(self, arn: str) -> Any:
        role: Role = self._backend.get_role_by_arn(arn)
        trusted = service_trusted(role.assume_role_policy_document, "codepipeline.amazonaws.com", self._context)
        service = "codepipeline.amazonaws.com" if trusted else "untrusted.invalid"
        return _RoleView({"Statement": [{"Principal": {"Service": service}}]})


class _RoleView:
    def __init__(self, document: dict[str, Any]) -> None:
        self.assume_role_policy_document = json.dumps(document)


def _codepipeline_iam_backend(self: CodePipelineBackend) -> Any:
    backend = iam_backends[self.account_id][self.partition]
    context: dict[str, list[str]] = {"aws:sourceaccount": [self.account_id]}
    pipeline_arn = _creating.get()
    if pipeline_arn:
        context["aws:sourcearn"] = [pipeline_arn]
    return _TrustView(backend, context)


def _remember_pipeline(create: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(create)
    def create_pipeline(self: CodePipelineBackend, pipeline: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        arn = f"arn:{self.partition}:codepipeline:{self.region_name}:{self.account_id}:{pipeline.get('name')}"
        token = _creating.set(arn)
        try:
            return create(self, pipeline, *args, **kwargs)
        finally:
            _creating.reset(token)

    return create_pipeline


def apply() -> None:
    # moto reads the role through this property only in create_pipeline's trust check.
    CodePipelineBackend.iam_backend = property(_codepipeline_iam_backend)
    # Wrapped, not replaced, so other extensions' wrappers of create_pipeline keep working.
    CodePipelineBackend.create_pipeline = _remember_pipeline(CodePipelineBackend.create_pipeline)
    log.debug("iam: CodePipeline trust check evaluates the trust policy")
