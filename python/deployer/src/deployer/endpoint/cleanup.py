"""Deleting the deployer's old endpoint configs and models, never anything in use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws_errors import is_not_found
from deployer.endpoint.state import BUSY, describe_endpoint, describe_endpoint_config
from deployer.endpoint.target import Target
from deployer.naming import is_ours, name_prefix

log = logging.getLogger(__name__)


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
    configs = _our_configs(target, endpoint)
    keep_names = set(configs[:keep]) | in_use
    referenced = _models_of(target, keep_names)
    deleted = [name for name in configs if name not in keep_names]
    for config_name in deleted:
        _delete(target, "DeleteEndpointConfig", target.sagemaker.delete_endpoint_config, EndpointConfigName=config_name)
        log.info("cleanup: deleted endpoint config %s", config_name)
    for model_name in _our_models(target, endpoint):
        if model_name in referenced:
            continue
        _delete(target, "DeleteModel", target.sagemaker.delete_model, ModelName=model_name)
        deleted.append(model_name)
        log.info("cleanup: deleted model %s", model_name)
    return deleted


def _our_configs(target: Target, endpoint: str) -> list[str]:
    """Names of the endpoint configs the deployer generated for `endpoint`, newest first."""
    with target.call("sagemaker:ListEndpointConfigs"):
        configs = [
            c
            for c in _paged(
                target.sagemaker.list_endpoint_configs,
                "EndpointConfigs",
                NameContains=name_prefix(endpoint),
                SortBy="CreationTime",
                SortOrder="Descending",
            )
            if is_ours(str(c["EndpointConfigName"]), endpoint)
        ]
    configs.sort(key=lambda c: c.get("CreationTime") or 0, reverse=True)
    return [str(c["EndpointConfigName"]) for c in configs]


def _our_models(target: Target, endpoint: str) -> list[str]:
    with target.call("sagemaker:ListModels"):
        return [
            str(m["ModelName"])
            for m in _paged(target.sagemaker.list_models, "Models", NameContains=name_prefix(endpoint))
            if is_ours(str(m["ModelName"]), endpoint)
        ]


def _models_of(target: Target, config_names: set[str]) -> set[str]:
    """The models the given endpoint configs reference (they must survive)."""
    referenced: set[str] = set()
    for config_name in sorted(config_names):
        described = describe_endpoint_config(target, config_name) if config_name else None
        for variant in (described or {}).get("ProductionVariants") or []:
            referenced.add(str(variant.get("ModelName", "")))
    return referenced


def _delete(target: Target, action: str, call: Callable[..., Any], **name: str) -> None:
    """One Delete* call; a resource already gone counts as deleted."""
    with target.call(f"sagemaker:{action}"):
        try:
            call(**name)
        except ClientError as exc:
            if not is_not_found(exc):
                raise
