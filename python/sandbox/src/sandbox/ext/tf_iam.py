"""CodePipeline's trust check done as AWS does it, by the sandbox's one IAM evaluator.

moto's CodePipeline refuses a role unless every trust statement has a single string
`Principal.Service` equal to codepipeline.amazonaws.com, so a role trusted by several services
(`"Service": ["codepipeline.amazonaws.com", "events.amazonaws.com"]`) is "not authorized to
perform AssumeRole". AWS asks whether the trust policy lets the service assume the role, with
`aws:SourceAccount` and `aws:SourceArn` set to the pipeline's account and ARN.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from moto.codepipeline.models import CodePipelineBackend
from moto.iam.models import IAMBackend, Role, iam_backends

from sandbox.ext import _patch
from sandbox.iam.evaluate import evaluate
from sandbox.iam.model import Authorization, NamedPolicy, Principal

log = logging.getLogger(__name__)

Context = Mapping[str, Sequence[str]]


def service_trusted(document: str | Mapping[str, Any], service: str, context: Context) -> bool:
    """Does a trust policy let `service` (e.g. codepipeline.amazonaws.com) call sts:AssumeRole?"""
    policy = json.loads(document) if isinstance(document, str) else dict(document)
    account = next(iter(context.get("aws:sourceaccount", [])), "")
    principal = Principal(account=account, arn=service, principal_arn=service, service=service)
    decision = evaluate(
        principal,
        Authorization("sts:AssumeRole", "*", account),
        identity_policies=[],
        resource_policy=NamedPolicy("trust", policy),
        context=context,
        resource_policy_required=True,
    )
    return decision.allowed


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
    _patch.replace(CodePipelineBackend, "iam_backend", property(_codepipeline_iam_backend))
    # Wrapped, not replaced, so other extensions' wrappers of create_pipeline keep working.
    _patch.wrap(CodePipelineBackend, "create_pipeline", _remember_pipeline)
    log.debug("iam: CodePipeline trust check evaluates the trust policy")
