"""Reading the endpoint: its status, live config, model, package and version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws_errors import is_not_found
from deployer.endpoint.target import Target
from deployer.naming import parse_name

IN_SERVICE = "InService"
SETTLED = frozenset({"InService", "Failed", "UpdateRollbackFailed", "OutOfService"})
BUSY = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})


@dataclass(frozen=True)
class LiveState:
    """What the endpoint runs now."""

    endpoint_name: str
    status: str
    config_name: str
    model_name: str
    package_arn: str
    version: int | None
    failure_reason: str
    pending_config: str
    description: dict[str, Any]
    instance_type: str = ""
    instance_counts: dict[str, int] = field(default_factory=dict)  # variant -> desired (autoscaled) count
    # The endpoint names a config that no longer exists (deleted out of band): SageMaker keeps serving it, but
    # nothing can be proven from it or rolled back onto it.
    config_missing: bool = False

    @property
    def missing_config_problem(self) -> str:
        return missing_config_problem(self.endpoint_name, self.config_name) if self.config_missing else ""


def missing_config_problem(endpoint_name: str, config_name: str) -> str:
    """What `test`, `status` and `deploy` say about an endpoint whose config was deleted under it."""
    return (
        f"endpoint {endpoint_name} runs on endpoint config {config_name}, which no longer exists (deleted out of "
        "band: the endpoint keeps serving, but nothing can roll back onto it)"
    )


def _describe(target: Target, action: str, call: Callable[..., Any], **name: str) -> dict[str, Any] | None:
    """One Describe* call; None when the resource does not exist."""
    with target.call(f"sagemaker:{action}"):
        try:
            return dict(call(**name))
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise


def describe_endpoint(target: Target, name: str) -> dict[str, Any] | None:
    return _describe(target, "DescribeEndpoint", target.sagemaker.describe_endpoint, EndpointName=name)


def describe_endpoint_config(target: Target, name: str) -> dict[str, Any] | None:
    sm = target.sagemaker
    return _describe(target, "DescribeEndpointConfig", sm.describe_endpoint_config, EndpointConfigName=name)


def describe_model(target: Target, name: str) -> dict[str, Any] | None:
    return _describe(target, "DescribeModel", target.sagemaker.describe_model, ModelName=name)


def package_of_model(model: dict[str, Any]) -> str:
    containers = list(model.get("Containers") or [])
    if model.get("PrimaryContainer"):
        containers.insert(0, model["PrimaryContainer"])
    for container in containers:
        if container.get("ModelPackageName"):
            return str(container["ModelPackageName"])
    return ""


def version_of_package(arn: str) -> int | None:
    tail = arn.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def live_state(target: Target, endpoint_name: str) -> LiveState | None:
    """The endpoint's current config, model, package and version, or None when there is no endpoint.

    The version comes from the model's container (ModelPackageName), so it is right for configs that the
    deployer did not create too; names are only the fallback.
    """
    desc = describe_endpoint(target, endpoint_name)
    if desc is None:
        return None
    config_name = str(desc.get("EndpointConfigName", ""))
    model_name = package_arn = instance_type = ""
    version: int | None = None
    config = describe_endpoint_config(target, config_name) if config_name else None
    if config:
        variants = config.get("ProductionVariants") or []
        if variants:
            model_name = str(variants[0].get("ModelName", ""))
            instance_type = str(variants[0].get("InstanceType", ""))
    model = describe_model(target, model_name) if model_name else None
    if model:
        package_arn = package_of_model(model)
        version = version_of_package(package_arn) if package_arn else None
    if version is None and config_name:
        parsed = parse_name(config_name, endpoint_name)
        version = parsed[1] if parsed else None
    pending = desc.get("PendingDeploymentSummary") or {}
    return LiveState(
        endpoint_name=endpoint_name,
        status=str(desc.get("EndpointStatus", "")),
        config_name=config_name,
        model_name=model_name,
        package_arn=package_arn,
        version=version,
        failure_reason=str(desc.get("FailureReason", "") or ""),
        pending_config=str(pending.get("EndpointConfigName", "") or ""),
        description=desc,
        instance_type=instance_type,
        instance_counts=_instance_counts(desc),
        config_missing=bool(config_name) and config is None,
    )


def _instance_counts(desc: dict[str, Any]) -> dict[str, int]:
    """Each live variant's desired instance count (what autoscaling set), else its current count."""
    counts: dict[str, int] = {}
    for variant in desc.get("ProductionVariants") or []:
        count = variant.get("DesiredInstanceCount", variant.get("CurrentInstanceCount"))
        if variant.get("VariantName") and isinstance(count, int):
            counts[str(variant["VariantName"])] = count
    return counts
