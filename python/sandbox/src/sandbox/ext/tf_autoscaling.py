"""Application Auto Scaling tags, as `aws_appautoscaling_target` reads and writes them.

moto has no ListTagsForResource/TagResource/UntagResource and drops RegisterScalableTarget's
`Tags`, so Terraform cannot read back a scalable target. AWS also reports the service-linked role
it uses when the caller names none; moto reports null.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, FakeScalableTarget
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError

from sandbox.ext import _patch

log = logging.getLogger(__name__)

# The service-linked role AWS creates per namespace (only those this project scales are listed).
_SERVICE_LINKED_ROLES = {
    "sagemaker": "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    "dynamodb": "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    "ecs": "AWSServiceRoleForApplicationAutoScaling_ECSService",
}


class _ResourceNotFound(JsonRESTError):  # type: ignore[misc]
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"Scalable target with ARN {arn} not found")


def _tags(target: FakeScalableTarget) -> dict[str, str]:
    # On the target object, so deregistering the target (or /moto-api/reset) drops its tags.
    if not hasattr(target, "sandbox_tags"):
        target.sandbox_tags = {}
    tags: dict[str, str] = target.sandbox_tags
    return tags


def _target_by_arn(backend: ApplicationAutoscalingBackend, arn: str) -> FakeScalableTarget:
    for by_resource in backend.targets.values():
        for target in by_resource.values():
            if target.arn == arn:
                return target
    raise _ResourceNotFound(arn)


def _register(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def register_scalable_target(self: ApplicationAutoScalingResponse) -> Any:
        body = original(self)
        backend = self.applicationautoscaling_backend
        target = backend.targets[_patch.param(self, "ScalableDimension")][_patch.param(self, "ResourceId")]
        _tags(target).update(_patch.param(self, "Tags") or {})
        if not target.role_arn:
            slr = _SERVICE_LINKED_ROLES.get(target.service_namespace)
            if slr:
                path = f"{target.service_namespace}.application-autoscaling.amazonaws.com"
                target.role_arn = f"arn:aws:iam::{backend.account_id}:role/aws-service-role/{path}/{slr}"
        if target.suspended_state is None:
            target.suspended_state = {
                "DynamicScalingInSuspended": False,
                "DynamicScalingOutSuspended": False,
                "ScheduledScalingSuspended": False,
            }
        return body

    return register_scalable_target


def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    target = _target_by_arn(self.applicationautoscaling_backend, _patch.param(self, "ResourceARN"))
    return json.dumps({"Tags": dict(_tags(target))})


def tag_resource(self: ApplicationAutoScalingResponse) -> str:
    target = _target_by_arn(self.applicationautoscaling_backend, _patch.param(self, "ResourceARN"))
    _tags(target).update(_patch.param(self, "Tags") or {})
    return "{}"


def untag_resource(self: ApplicationAutoScalingResponse) -> str:
    target = _target_by_arn(self.applicationautoscaling_backend, _patch.param(self, "ResourceARN"))
    for key in _patch.param(self, "TagKeys") or []:
        _tags(target).pop(key, None)
    return "{}"


def apply() -> None:
    _patch.wrap(ApplicationAutoScalingResponse, "register_scalable_target", _register)
    for handler in (list_tags_for_resource, tag_resource, untag_resource):
        _patch.add(ApplicationAutoScalingResponse, handler.__name__, handler)
    log.debug("autoscaling: scalable target tags, service-linked role")
