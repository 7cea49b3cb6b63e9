"""SageMaker's answer to an empty, malformed or unknown resource ARN: ValidationException (HTTP 400, JSON).

moto split the ARN without checking it, so ListTags/AddTags/DeleteTags on `""`, on a malformed ARN, or on a
well-formed ARN of a missing resource crashed into an HTTP 500 HTML page (which botocore retries as a server
error). AWS checks the member against its pattern first, in its usual "1 validation error detected" wording,
then answers a missing resource with ValidationException. The pattern and length come from botocore's model of
the operation, the one source of truth for what AWS accepts.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

import botocore.session
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend

from sandbox.ext import _patch

log = logging.getLogger(__name__)


@functools.cache
def _arn_rules() -> tuple[re.Pattern[str], int]:
    """ListTags' `ResourceArn` pattern and maximum length (AddTags and DeleteTags share the shape)."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("ListTags").input_shape.members["ResourceArn"]
    return re.compile(shape.metadata["pattern"]), int(shape.metadata["max"])


def arn_problem(arn: str) -> str | None:
    """AWS's validation message for a `resourceArn` it refuses before any lookup, or None when it is well-formed."""
    pattern, longest = _arn_rules()
    if len(arn) > longest:
        return (
            f"1 validation error detected: Value '{arn}' at 'resourceArn' failed to satisfy constraint: "
            f"Member must have length less than or equal to {longest}"
        )
    if pattern.fullmatch(arn) is None:
        return (
            f"1 validation error detected: Value '{arn}' at 'resourceArn' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern.pattern}"
        )
    return None


def _checked(original: Callable[..., Any]) -> Callable[..., Any]:
    def resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
        problem = arn_problem(arn)
        if problem is not None:
            raise ValidationError(problem)
        kind, _, name = arn.split(":", 5)[-1].partition("/")
        try:
            resource = original(self, arn)
        except (ValueError, AttributeError):  # moto's split or lookup of a kind it does not know
            resource = None
        if resource is None:
            raise ValidationError(f"Could not find {kind} with name {name}")
        return resource

    return resource_from_arn


def apply() -> None:
    _patch.wrap(SageMakerModelBackend, "_get_resource_from_arn", _checked)
