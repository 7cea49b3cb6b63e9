"""Autoscaling around a rollout: deregistered before UpdateEndpoint, registered again (with its
target-tracking policy) once the endpoint is InService, on the new config or rolled back; reconciled with
the stage config on a no-op."""

from __future__ import annotations

import logging
from typing import Any

from deployer import endpoint as ep
from deployer.config import StageConfig
from deployer.endpoint import Target
from deployer.errors import DeployerError

log = logging.getLogger(__name__)

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def settle_autoscaling(target: Target, config: StageConfig, *, quiet: bool = False) -> None:
    """Once the endpoint is InService, put autoscaling in place as configured (or remove it). With `quiet`,
    a failure is only logged (the rollout's own error is the one to report)."""
    name, variant, auto = config.endpoint.name, config.endpoint.variant_name, config.autoscaling
    try:
        desc = ep.describe_endpoint(target, name)
        if not desc or desc.get("EndpointStatus") != ep.IN_SERVICE:
            return
        if auto.enabled:
            apply_autoscaling(
                target,
                name,
                variant,
                min_capacity=auto.min_capacity,
                max_capacity=auto.max_capacity,
                target_value=auto.target_invocations_per_instance,
            )
        else:
            remove_autoscaling(target, name, variant)
    except DeployerError as exc:
        log.error("autoscaling not applied: %s", exc)
        if not quiet:
            raise


def reconcile_autoscaling(target: Target, config: StageConfig) -> None:
    """On a no-op, bring autoscaling in line with the config if it drifted (changes nothing otherwise)."""
    name, variant, auto = config.endpoint.name, config.endpoint.variant_name, config.autoscaling
    current = scalable_target(target, name, variant)
    if auto.enabled and (
        current is None
        or (current.get("MinCapacity"), current.get("MaxCapacity")) != (auto.min_capacity, auto.max_capacity)
    ):
        settle_autoscaling(target, config)
    elif not auto.enabled and current is not None:
        remove_autoscaling(target, name, variant)


def _resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def scalable_target(target: Target, endpoint: str, variant: str) -> dict[str, Any] | None:
    with target.call("application-autoscaling:DescribeScalableTargets"):
        answer = target.autoscaling.describe_scalable_targets(
            ServiceNamespace="sagemaker",
            ResourceIds=[_resource_id(endpoint, variant)],
            ScalableDimension=SCALABLE_DIMENSION,
        )
    targets = answer.get("ScalableTargets") or []
    return dict(targets[0]) if targets else None


def suspend_autoscaling(target: Target, endpoint: str, variant: str) -> bool:
    """Deregister the variant as a scalable target before UpdateEndpoint (an update that changes a scaled
    variant fails otherwise, and scaling must not act mid-deployment). Return True when it was registered."""
    if scalable_target(target, endpoint, variant) is None:
        return False
    with target.call("application-autoscaling:DeregisterScalableTarget"):
        target.autoscaling.deregister_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=_resource_id(endpoint, variant),
            ScalableDimension=SCALABLE_DIMENSION,
        )
    log.info("autoscaling of %s/%s suspended for the update", endpoint, variant)
    return True


def apply_autoscaling(
    target: Target, endpoint: str, variant: str, *, min_capacity: int, max_capacity: int, target_value: float
) -> None:
    """Register the variant and put a target-tracking policy on SageMakerVariantInvocationsPerInstance."""
    resource_id = _resource_id(endpoint, variant)
    with target.call("application-autoscaling:RegisterScalableTarget"):
        target.autoscaling.register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=resource_id,
            ScalableDimension=SCALABLE_DIMENSION,
            MinCapacity=min_capacity,
            MaxCapacity=max_capacity,
        )
    with target.call("application-autoscaling:PutScalingPolicy"):
        target.autoscaling.put_scaling_policy(
            PolicyName=f"{endpoint}-invocations-per-instance",
            ServiceNamespace="sagemaker",
            ResourceId=resource_id,
            ScalableDimension=SCALABLE_DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": target_value,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
            },
        )
    log.info(
        "autoscaling %s/%s: %d-%d instances, %g invocations per instance",
        endpoint,
        variant,
        min_capacity,
        max_capacity,
        target_value,
    )


def remove_autoscaling(target: Target, endpoint: str, variant: str) -> None:
    if suspend_autoscaling(target, endpoint, variant):
        log.info("autoscaling of %s/%s removed (disabled in the stage config)", endpoint, variant)
