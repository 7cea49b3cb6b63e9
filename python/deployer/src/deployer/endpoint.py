"""The target side: endpoint state, model and endpoint config creation, waiting, verification,
autoscaling and cleanup. Every function takes its clients; none creates one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws_errors import is_not_found
from deployer.errors import (
    EndpointFailedError,
    RolledBackError,
    RolloutTimeoutError,
    aws_call,
)
from deployer.naming import is_ours, name_prefix, parse_name
from deployer.sessions import Client, role_label

log = logging.getLogger(__name__)
progress_log = logging.getLogger("deployer.progress")

IN_SERVICE = "InService"
SETTLED = frozenset({"InService", "Failed", "UpdateRollbackFailed", "OutOfService"})
BUSY = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
TAG_PREFIX = "deployer:"


class Target:
    """Clients into the target account (created on first use), with what messages need to name it."""

    def __init__(self, client_factory: Callable[[str], Client], account: str, role: str) -> None:
        self._factory = client_factory
        self.account = account
        self.role = role

    @cached_property
    def sagemaker(self) -> Client:
        return self._factory("sagemaker")

    @cached_property
    def autoscaling(self) -> Client:
        return self._factory("application-autoscaling")

    @cached_property
    def iam(self) -> Client:
        return self._factory("iam")

    @cached_property
    def s3(self) -> Client:
        return self._factory("s3")

    @cached_property
    def cloudwatch(self) -> Client:
        return self._factory("cloudwatch")

    @cached_property
    def kms(self) -> Client:
        return self._factory("kms")

    @cached_property
    def runtime(self) -> Client:
        return self._factory("sagemaker-runtime")

    def call(self, action: str) -> Any:
        return aws_call(action, self.account, role_label(self.role))


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


# ---------------------------------------------------------------------------------------------------------------------
# reading


def describe_endpoint(target: Target, name: str) -> dict[str, Any] | None:
    with target.call("sagemaker:DescribeEndpoint"):
        try:
            return dict(target.sagemaker.describe_endpoint(EndpointName=name))
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise


def describe_endpoint_config(target: Target, name: str) -> dict[str, Any] | None:
    with target.call("sagemaker:DescribeEndpointConfig"):
        try:
            return dict(target.sagemaker.describe_endpoint_config(EndpointConfigName=name))
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise


def describe_model(target: Target, name: str) -> dict[str, Any] | None:
    with target.call("sagemaker:DescribeModel"):
        try:
            return dict(target.sagemaker.describe_model(ModelName=name))
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise


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
        parsed = parse_name(config_name)
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
    )


# ---------------------------------------------------------------------------------------------------------------------
# creating


def ensure_model(
    target: Target, name: str, package_arn: str, execution_role_arn: str, tags: list[dict[str, str]]
) -> bool:
    """Create the model from the package unless it exists; return True when created."""
    if describe_model(target, name) is not None:
        log.info("model %s exists; reusing it", name)
        return False
    with target.call("sagemaker:CreateModel"):
        target.sagemaker.create_model(
            ModelName=name,
            ExecutionRoleArn=execution_role_arn,
            Containers=[{"ModelPackageName": package_arn}],
            Tags=tags,
        )
    log.info("created model %s from %s", name, package_arn)
    return True


def ensure_endpoint_config(target: Target, name: str, spec: dict[str, Any], tags: list[dict[str, str]]) -> bool:
    """Create the endpoint config unless it exists; return True when created."""
    if describe_endpoint_config(target, name) is not None:
        log.info("endpoint config %s exists; reusing it", name)
        return False
    with target.call("sagemaker:CreateEndpointConfig"):
        target.sagemaker.create_endpoint_config(EndpointConfigName=name, Tags=tags, **spec)
    log.info("created endpoint config %s", name)
    return True


def create_endpoint(target: Target, name: str, config_name: str, tags: list[dict[str, str]]) -> None:
    with target.call("sagemaker:CreateEndpoint"):
        target.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=tags)
    log.info("creating endpoint %s with %s", name, config_name)


def update_endpoint(target: Target, name: str, config_name: str, deployment_config: dict[str, Any]) -> None:
    with target.call("sagemaker:UpdateEndpoint"):
        target.sagemaker.update_endpoint(
            EndpointName=name, EndpointConfigName=config_name, DeploymentConfig=deployment_config
        )
    log.info("updating endpoint %s to %s", name, config_name)


def delete_failed_endpoint(
    target: Target, name: str, timeout: float, poll: float, on_poll: Callable[[], None] | None = None
) -> None:
    """Delete an endpoint that ended Failed (it serves nothing) so that it can be created again."""
    with target.call("sagemaker:DeleteEndpoint"):
        target.sagemaker.delete_endpoint(EndpointName=name)
    log.info("deleted failed endpoint %s; creating it again", name)
    deadline = time.monotonic() + timeout
    while describe_endpoint(target, name) is not None:
        if time.monotonic() > deadline:
            raise RolloutTimeoutError(f"endpoint {name} still exists {timeout:.0f}s after DeleteEndpoint")
        if on_poll is not None:
            on_poll()
        time.sleep(poll)


def tag_resource(target: Target, arn: str, tags: list[dict[str, str]]) -> None:
    with target.call("sagemaker:AddTags"):
        target.sagemaker.add_tags(ResourceArn=arn, Tags=tags)


# ---------------------------------------------------------------------------------------------------------------------
# waiting and verifying


def progress_line(desc: dict[str, Any], elapsed: float) -> str:
    """One plain line: status, elapsed seconds, deployment phase and per-variant counts."""
    parts = [f"endpoint {desc.get('EndpointName', '?')}: {desc.get('EndpointStatus', '?')}", f"elapsed={elapsed:.0f}s"]
    pending = desc.get("PendingDeploymentSummary") or {}
    if pending:
        parts.append(f"pending={pending.get('EndpointConfigName', '?')}")
        for variant in pending.get("ProductionVariants") or []:
            phases = ",".join(str(s.get("Status")) for s in variant.get("VariantStatus") or []) or "-"
            parts.append(
                f"{variant.get('VariantName', '?')}[phase={phases} "
                f"instances={variant.get('CurrentInstanceCount', '?')}/{variant.get('DesiredInstanceCount', '?')} "
                f"weight={variant.get('CurrentWeight', '?')}/{variant.get('DesiredWeight', '?')}]"
            )
    else:
        for variant in desc.get("ProductionVariants") or []:
            parts.append(
                f"{variant.get('VariantName', '?')}[instances="
                f"{variant.get('CurrentInstanceCount', '?')}/{variant.get('DesiredInstanceCount', '?')}]"
            )
    if desc.get("FailureReason"):
        parts.append(f"reason={desc['FailureReason']}")
    return " ".join(parts)


def wait_until_settled(
    target: Target,
    name: str,
    *,
    timeout: float,
    poll: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    heartbeat: float = 60.0,
    on_poll: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Poll DescribeEndpoint (one call per poll) until the endpoint settles; log a line on each change
    and at least every `heartbeat` seconds. `on_poll` runs before each sleep (lease renewal)."""
    start = clock()
    last_line = ""
    last_logged = start
    while True:
        desc = describe_endpoint(target, name)
        elapsed = clock() - start
        if desc is None:
            raise EndpointFailedError(f"endpoint {name} disappeared while waiting for it")
        comparable = progress_line(desc, 0.0)  # the line without the clock: log when it changes
        if comparable != last_line or clock() - last_logged >= heartbeat:
            progress_log.info(progress_line(desc, elapsed))
            last_line, last_logged = comparable, clock()
        if desc.get("EndpointStatus") in SETTLED:
            return desc
        if elapsed > timeout:
            raise RolloutTimeoutError(
                f"endpoint {name} still {desc.get('EndpointStatus')} after {elapsed:.0f}s (timeout {timeout:.0f}s); "
                "it was not reported as deployed"
            )
        if on_poll is not None:
            on_poll()
        sleep(poll)


def verify(desc: dict[str, Any], expected_config: str) -> None:
    """Success means InService on exactly the config just deployed; anything else is a failure."""
    name = desc.get("EndpointName", "?")
    status = desc.get("EndpointStatus")
    current = desc.get("EndpointConfigName", "")
    reason = str(desc.get("FailureReason") or "")
    if status == IN_SERVICE and current == expected_config:
        return
    if status == IN_SERVICE:
        if reason:
            raise RolledBackError(f"rolled back by SageMaker: {reason} (endpoint {name} serves {current})")
        raise RolledBackError(
            f"silently rolled back: endpoint {name} is InService on {current}, not {expected_config}, "
            "and SageMaker gave no FailureReason"
        )
    raise EndpointFailedError(f"endpoint {name} is {status}: {reason or 'SageMaker gave no FailureReason'}")


# ---------------------------------------------------------------------------------------------------------------------
# autoscaling


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


# ---------------------------------------------------------------------------------------------------------------------
# cleanup


def _paged(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    while True:
        page = call(**kwargs)
        yield from page.get(key) or []
        token = page.get("NextToken")
        if not token:
            return
        kwargs["NextToken"] = token


def cleanup(target: Target, endpoint: str, keep: int) -> list[str]:
    """Delete our old endpoint configs and models beyond the newest `keep`, never anything in use.

    In use: the endpoint's live config, the config of a pending deployment, and every model those (or any
    kept config) reference. Nothing is deleted while the endpoint is changing. Return deleted names.
    """
    desc = describe_endpoint(target, endpoint)
    if desc is None or desc.get("EndpointStatus") in BUSY:
        log.info("cleanup skipped: endpoint %s is %s", endpoint, desc.get("EndpointStatus") if desc else "absent")
        return []
    in_use = {str(desc.get("EndpointConfigName", ""))}
    pending = (desc.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
    if pending:
        in_use.add(str(pending))
    prefix = name_prefix(endpoint)
    with target.call("sagemaker:ListEndpointConfigs"):
        configs = [
            c
            for c in _paged(
                target.sagemaker.list_endpoint_configs,
                "EndpointConfigs",
                NameContains=prefix,
                SortBy="CreationTime",
                SortOrder="Descending",
            )
            if is_ours(str(c["EndpointConfigName"]), endpoint)
        ]
    configs.sort(key=lambda c: c.get("CreationTime") or 0, reverse=True)
    keep_names = {str(c["EndpointConfigName"]) for c in configs[:keep]} | in_use
    deleted: list[str] = []
    referenced: set[str] = set()
    for config_name in sorted(keep_names):
        described = describe_endpoint_config(target, config_name) if config_name else None
        for variant in (described or {}).get("ProductionVariants") or []:
            referenced.add(str(variant.get("ModelName", "")))
    for config in configs:
        config_name = str(config["EndpointConfigName"])
        if config_name in keep_names:
            continue
        with target.call("sagemaker:DeleteEndpointConfig"):
            try:
                target.sagemaker.delete_endpoint_config(EndpointConfigName=config_name)
            except ClientError as exc:
                if not is_not_found(exc):
                    raise
        deleted.append(config_name)
        log.info("cleanup: deleted endpoint config %s", config_name)
    with target.call("sagemaker:ListModels"):
        models = [
            str(m["ModelName"])
            for m in _paged(target.sagemaker.list_models, "Models", NameContains=prefix)
            if is_ours(str(m["ModelName"]), endpoint)
        ]
    for model_name in models:
        if model_name in referenced:
            continue
        with target.call("sagemaker:DeleteModel"):
            try:
                target.sagemaker.delete_model(ModelName=model_name)
            except ClientError as exc:
                if not is_not_found(exc):
                    raise
        deleted.append(model_name)
        log.info("cleanup: deleted model %s", model_name)
    return deleted
