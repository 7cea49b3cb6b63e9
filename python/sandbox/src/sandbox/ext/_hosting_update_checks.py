"""UpdateEndpoint's checks against the live endpoint: autoscaled variants, variant renames, unguarded hardware.

AWS refuses an update that changes the instance type of (or removes) a variant registered with Application
Auto Scaling, and a blue/green or rolling update whose config renames the variant. Endpoints on Inf1 instances
or with AWS Marketplace containers cannot use deployment guardrails: AWS falls back to all at once with no
baking and no alarms. See python/sandbox/docs/hosting.md.
"""

from __future__ import annotations

import logging
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.sagemaker.exceptions import ValidationError

from sandbox.ext._hosting_model import Fleet

log = logging.getLogger(__name__)

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
UNGUARDED_FAMILY = "ml.inf1."
# AWS Marketplace serves its sellers' images from this ECR registry account.
MARKETPLACE_REGISTRY = "709825985650"


def _resource_id(endpoint_name: str, variant: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant}"


def _scaling_targets(backend: Any) -> dict[str, Any]:
    scaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
    return dict(scaling.targets.get(SCALABLE_DIMENSION, {}))


def check_autoscaled(backend: Any, endpoint_name: str, current: Fleet, target: Fleet) -> None:
    """Refuse changing the instance type of, or removing, a variant that is a scalable target."""
    targets = _scaling_targets(backend)
    new = {v.name: v for v in target.variants}
    for variant in current.variants:
        if _resource_id(endpoint_name, variant.name) not in targets:
            continue
        replacement = new.get(variant.name)
        if replacement is None:
            change = "removes it"
        elif replacement.instance_type != variant.instance_type:
            change = f"changes its instance type from {variant.instance_type} to {replacement.instance_type}"
        else:
            continue  # a new model on the same instance type is allowed
        raise ValidationError(
            message=(
                f"An Application AutoScaling scalable target exists for variant {variant.name} of endpoint "
                f"{endpoint_name}, and the update {change}. You must first deregister the scalable target "
                "(application-autoscaling:DeregisterScalableTarget) before updating the endpoint."
            )
        )


def check_variant_names(current: Fleet, target: Fleet) -> None:
    """A blue/green or rolling deployment keeps the variant names of the live config."""
    old = sorted(v.name for v in current.variants)
    new = sorted(v.name for v in target.variants)
    if old != new:
        raise ValidationError(
            message=(
                f"The production variant names {new} of endpoint config {target.config_name} do not match the "
                f"variant names {old} of the current endpoint config {current.config_name}. A blue/green or "
                "rolling deployment requires the new endpoint config to have the same variant names."
            )
        )


def unguarded_reason(fleet: Fleet) -> str | None:
    """Why deployment guardrails do not apply to `fleet` (Inf1 instances, Marketplace containers), or None."""
    for variant in fleet.variants:
        if (variant.instance_type or "").startswith(UNGUARDED_FAMILY):
            return f"variant {variant.name} runs on {variant.instance_type}"
        for container in variant.containers:
            if container.image.split(".", 1)[0] == MARKETPLACE_REGISTRY:
                return f"variant {variant.name} uses the AWS Marketplace container {container.image}"
    return None


def deregister_scaling(backend: Any, endpoint_name: str, fleet: Fleet) -> None:
    """DeleteEndpoint deregisters its variants' scalable targets, as AWS does for a caller allowed to."""
    scaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
    targets = _scaling_targets(backend)
    for variant in fleet.variants:
        resource = _resource_id(endpoint_name, variant.name)
        if resource in targets:
            scaling.deregister_scalable_target("sagemaker", resource, SCALABLE_DIMENSION)
            log.info("endpoint %s: deregistered scalable target %s", endpoint_name, resource)
