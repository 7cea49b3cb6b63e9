"""Deleting the deployer's old endpoint configs and models, never anything in use.

A config or model is deleted only when all of these hold: its name was generated for exactly this endpoint
(`naming.is_ours`); it carries the tag deployer:endpoint = this endpoint (resources made before that tag existed
carry none and are kept: nothing proves whose they are); and no endpoint in the account uses it, as its current
or pending config or through a model such a config references.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws_errors import is_not_found
from deployer.endpoint.state import BUSY, describe_endpoint, describe_endpoint_config
from deployer.endpoint.target import Target
from deployer.naming import ENDPOINT_TAG, is_ours, name_prefix

log = logging.getLogger(__name__)

# ListEndpoints page size (the API's maximum).
ENDPOINTS_PAGE = 100


@dataclass(frozen=True)
class _Resource:
    name: str
    arn: str


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

    Kept: the newest `keep` configs of ours, every config any endpoint in the account runs or is moving to,
    whatever is not tagged for this endpoint, and every model a kept config references. Nothing is deleted while
    the endpoint is changing. Return the deleted names, configs first.
    """
    desc = describe_endpoint(target, endpoint)
    if desc is None or desc.get("EndpointStatus") in BUSY:
        log.info("cleanup skipped: endpoint %s is %s", endpoint, desc.get("EndpointStatus") if desc else "absent")
        return []
    return _delete_ours(target, endpoint, keep, _configs_used_by(desc))


def remove_all(target: Target, endpoint: str) -> list[str]:
    """After the endpoint itself was deleted (`deployer teardown`): every config and model of ours for it that
    no other endpoint uses. Untagged ones are kept, as in `cleanup`."""
    return _delete_ours(target, endpoint, 0, set())


def _delete_ours(target: Target, endpoint: str, keep: int, used_here: set[str]) -> list[str]:
    configs = _our_configs(target, endpoint)
    models = _our_models(target, endpoint)
    if not configs and not models:
        return []
    in_use = configs_in_use(target) | used_here
    keep_names = {c.name for c in configs[:keep]} | in_use
    deleted: list[str] = []
    for config in configs:
        if config.name not in keep_names and _tagged_for(target, config, endpoint):
            _delete(
                target, "DeleteEndpointConfig", target.sagemaker.delete_endpoint_config, EndpointConfigName=config.name
            )
            deleted.append(config.name)
            log.info("cleanup: deleted endpoint config %s", config.name)
    surviving = {c.name for c in configs if c.name not in deleted} | in_use
    referenced = _models_of(target, surviving)
    for model in models:
        if model.name not in referenced and _tagged_for(target, model, endpoint):
            _delete(target, "DeleteModel", target.sagemaker.delete_model, ModelName=model.name)
            deleted.append(model.name)
            log.info("cleanup: deleted model %s", model.name)
    return deleted


def configs_in_use(target: Target) -> set[str]:
    """The current and pending configs of every endpoint in the target account (all pages)."""
    with target.call("sagemaker:ListEndpoints"):
        names = [
            str(e["EndpointName"])
            for e in _paged(target.sagemaker.list_endpoints, "Endpoints", MaxResults=ENDPOINTS_PAGE)
        ]
    used: set[str] = set()
    for name in names:
        used |= _configs_used_by(describe_endpoint(target, name) or {})  # one deleted meanwhile uses nothing
    return used


def _configs_used_by(desc: dict[str, Any]) -> set[str]:
    pending = (desc.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
    return {str(name) for name in (desc.get("EndpointConfigName"), pending) if name}


def _our_configs(target: Target, endpoint: str) -> list[_Resource]:
    """The endpoint configs whose names the deployer generated for `endpoint`, newest first."""
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
    return [_Resource(str(c["EndpointConfigName"]), str(c.get("EndpointConfigArn", ""))) for c in configs]


def _our_models(target: Target, endpoint: str) -> list[_Resource]:
    with target.call("sagemaker:ListModels"):
        return [
            _Resource(str(m["ModelName"]), str(m.get("ModelArn", "")))
            for m in _paged(target.sagemaker.list_models, "Models", NameContains=name_prefix(endpoint))
            if is_ours(str(m["ModelName"]), endpoint)
        ]


def _models_of(target: Target, config_names: Iterable[str]) -> set[str]:
    """The models the given endpoint configs reference, shadow variants included (they must survive)."""
    referenced: set[str] = set()
    for config_name in sorted(config_names):
        described = describe_endpoint_config(target, config_name) or {}
        for key in ("ProductionVariants", "ShadowProductionVariants"):
            referenced.update(str(v["ModelName"]) for v in described.get(key) or [] if v.get("ModelName"))
    return referenced


def _tagged_for(target: Target, resource: _Resource, endpoint: str) -> bool:
    """Whether the resource carries deployer:endpoint = `endpoint`; a resource already gone counts as not."""
    with target.call("sagemaker:ListTags"):
        try:
            tags = {t["Key"]: t["Value"] for t in _paged(target.sagemaker.list_tags, "Tags", ResourceArn=resource.arn)}
        except ClientError as exc:
            if is_not_found(exc):
                return False
            raise
    owner = tags.get(ENDPOINT_TAG)
    if owner != endpoint:
        log.info("cleanup: kept %s: tag %s is %s, not %s", resource.name, ENDPOINT_TAG, owner or "absent", endpoint)
        return False
    return True


def _delete(target: Target, action: str, call: Callable[..., Any], **name: str) -> None:
    """One Delete* call; a resource already gone counts as deleted."""
    with target.call(f"sagemaker:{action}"):
        try:
            call(**name)
        except ClientError as exc:
            if not is_not_found(exc):
                raise
