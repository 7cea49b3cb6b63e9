"""Changing the target: models, endpoint configs, the endpoint itself, and tags.

Requests arrive built (see `deployer.rollout.resources`); these functions add only the name and tags, so
what is created is exactly what was hashed into the name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws_errors import is_already_existing
from deployer.endpoint.state import describe_endpoint, describe_endpoint_config, describe_model
from deployer.endpoint.target import Target
from deployer.errors import RolloutTimeoutError, TransientError

log = logging.getLogger(__name__)

Tags = list[dict[str, str]]


def ensure_model(target: Target, name: str, request: Mapping[str, Any], tags: Tags) -> bool:
    """CreateModel with `request` unless the model exists; return True when created."""
    exists = describe_model(target, name) is not None
    create = target.sagemaker.create_model
    return _ensure(target, "CreateModel", "model", name, exists, lambda: create(ModelName=name, Tags=tags, **request))


def ensure_endpoint_config(target: Target, name: str, request: Mapping[str, Any], tags: Tags) -> bool:
    """CreateEndpointConfig with `request` unless the config exists; return True when created."""
    exists = describe_endpoint_config(target, name) is not None
    create = target.sagemaker.create_endpoint_config
    return _ensure(
        target, "CreateEndpointConfig", "endpoint config", name, exists,
        lambda: create(EndpointConfigName=name, Tags=tags, **request),
    )  # fmt: skip


def _ensure(target: Target, action: str, kind: str, name: str, exists: bool, create: Callable[[], Any]) -> bool:
    if exists:
        log.info("%s %s exists; reusing it", kind, name)
        return False
    with target.call(f"sagemaker:{action}"):
        try:
            create()
        except ClientError as exc:
            if not is_already_existing(exc):
                raise
            # Another run created it since the check; the name hashes the request, so it is the same resource.
            log.info("%s %s was created meanwhile by another run; reusing it", kind, name)
            return False
    log.info("created %s %s", kind, name)
    return True


def create_endpoint(target: Target, name: str, config_name: str, tags: Tags) -> None:
    with target.call("sagemaker:CreateEndpoint"):
        target.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=tags)
    log.info("creating endpoint %s with %s", name, config_name)


def update_endpoint(
    target: Target, name: str, config_name: str, deployment_config: dict[str, Any], *, keep_instance_count: bool
) -> None:
    """UpdateEndpoint; with `keep_instance_count` the new fleet starts at each live variant's desired count
    (RetainAllVariantProperties, minus weights and data capture, which come from the new config)."""
    retain: dict[str, Any] = {}
    if keep_instance_count:
        excluded = [{"VariantPropertyType": "DesiredWeight"}, {"VariantPropertyType": "DataCaptureConfig"}]
        retain = {"RetainAllVariantProperties": True, "ExcludeRetainedVariantProperties": excluded}
    with target.call("sagemaker:UpdateEndpoint"):
        target.sagemaker.update_endpoint(
            EndpointName=name, EndpointConfigName=config_name, DeploymentConfig=deployment_config, **retain
        )
    log.info("updating endpoint %s to %s%s", name, config_name, " (keeping the live instance count)" if retain else "")


def delete_endpoint(
    target: Target,
    name: str,
    timeout: float,
    poll: float,
    on_poll: Callable[[], None] | None = None,
    on_transient: Callable[[BaseException, str], None] | None = None,
) -> None:
    """DeleteEndpoint, then wait until it is gone (a failed one before it is created again, or a teardown).
    A transient DescribeEndpoint failure goes to `on_transient` as in `wait_until_settled`."""
    with target.call("sagemaker:DeleteEndpoint"):
        target.sagemaker.delete_endpoint(EndpointName=name)
    log.info("deleted endpoint %s; waiting until it is gone", name)
    deadline = time.monotonic() + timeout
    while _still_there(target, name, on_transient):
        if time.monotonic() > deadline:
            raise RolloutTimeoutError(f"endpoint {name} still exists {timeout:.0f}s after DeleteEndpoint")
        if on_poll is not None:
            on_poll()
        time.sleep(poll)


def _still_there(target: Target, name: str, on_transient: Callable[[BaseException, str], None] | None) -> bool:
    try:
        return describe_endpoint(target, name) is not None
    except TransientError as exc:
        if on_transient is None:
            raise
        on_transient(exc, f"describing endpoint {name}")
        return True  # not known to be gone: poll again


def tag_resource(target: Target, arn: str, tags: Tags) -> None:
    with target.call("sagemaker:AddTags"):
        target.sagemaker.add_tags(ResourceArn=arn, Tags=tags)
