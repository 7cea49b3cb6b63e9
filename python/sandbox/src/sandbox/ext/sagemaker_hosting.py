"""SageMaker hosting as AWS runs it: UpdateEndpoint with deployment guardrails, and an endpoint state machine.

moto answers UpdateEndpoint with HTTP 500, drops CreateEndpoint's DeploymentConfig and puts every
endpoint InService at once. Here an endpoint is Creating, then InService (or Failed) after a
simulated provisioning time; an update is Updating through a blue/green (all at once, canary,
linear) or rolling plan and rolls back to the old config when a named CloudWatch alarm is in
ALARM. Progress is worked out lazily, from the plan's timeline, whenever the endpoint is
described, listed, deleted, updated or invoked. See python/sandbox/docs/hosting.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from sandbox.ext import _hosting_access, _hosting_create, _hosting_lists, _hosting_shadow, _patch
from sandbox.ext._hosting_backend import STATE_ATTR, describe, refresh
from sandbox.ext._hosting_create import check_package_refs
from sandbox.ext._hosting_fleets import snapshot_fleet
from sandbox.ext._hosting_model import LOCK, EndpointState
from sandbox.ext._hosting_plan import start_rollout
from sandbox.ext._hosting_update import BUSY, endpoint_arn, get_endpoint, update_endpoint, validate, wrap_update_weights
from sandbox.ext._hosting_update_checks import deregister_scaling

log = logging.getLogger(__name__)


def _create_model(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_model(
        self: Any,
        model_name: str,
        execution_role_arn: str,
        primary_container: dict[str, Any] | None,
        vpc_config: dict[str, Any] | None,
        containers: list[dict[str, Any]] | None,
        tags: list[dict[str, str]] | None,
    ) -> Any:
        if model_name in self._models:
            arn = arn_formatter("model", model_name, self.account_id, self.region_name)
            raise ValidationError(message=f'Cannot create already existing model "{arn}".')
        check_package_refs([primary_container or {}, *(containers or [])], self.account_id, self.region_name)
        return original(
            self,
            model_name=model_name,
            execution_role_arn=execution_role_arn,
            primary_container=primary_container,
            vpc_config=vpc_config,
            containers=containers,
            tags=tags,
        )

    return create_model


def _create_endpoint(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_endpoint(
        self: Any,
        endpoint_name: str,
        endpoint_config_name: str,
        tags: list[dict[str, str]] | None,
        deployment_config: dict[str, Any] | None = None,
    ) -> Any:
        with LOCK:
            if endpoint_name in self.endpoints:
                raise ValidationError(
                    message=f'Cannot create already existing endpoint "{endpoint_arn(self, endpoint_name)}".'
                )
            now = utcnow()
            fleet = snapshot_fleet(self, endpoint_config_name, now)
            validate(deployment_config, fleet)
            endpoint = original(self, endpoint_name=endpoint_name, endpoint_config_name=endpoint_config_name, tags=tags)
            state = EndpointState(
                account_id=self.account_id,
                region=self.region_name,
                name=endpoint_name,
                arn=endpoint.arn,
                current=fleet,
                status="Creating",
                created_at=endpoint.creation_time,
                last_modified=endpoint.creation_time,
                last_deployment_config=deployment_config or None,
                retained_deployment_config=deployment_config or None,
            )
            state.rollout = start_rollout("create", fleet, None, endpoint.creation_time)
            state.rollout.access_failure = _hosting_access.failure(self, fleet, [])
            setattr(endpoint, STATE_ATTR, state)
            refresh(endpoint)
            log.info("endpoint %s: Creating on %s", endpoint_name, endpoint_config_name)
            return endpoint

    return create_endpoint


def describe_endpoint(self: Any, endpoint_name: str) -> dict[str, Any]:
    return describe(get_endpoint(self, endpoint_name))


def delete_endpoint(self: Any, endpoint_name: str) -> None:
    with LOCK:
        endpoint = get_endpoint(self, endpoint_name)
        state = refresh(endpoint)
        # AWS does not document DeleteEndpoint while Creating or Updating; the console offers no delete then and
        # callers report a refusal, so the sandbox refuses (docs/hosting.md).
        if state is not None and state.status in BUSY:
            raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if state is not None:
            deregister_scaling(self, endpoint_name, state.current)
        del self.endpoints[endpoint_name]


def _list_endpoints(original: Callable[..., Any]) -> Callable[..., Any]:
    def list_endpoints(self: Any, *args: Any, **kwargs: Any) -> Any:
        for endpoint in list(self.endpoints.values()):
            refresh(endpoint)
        return original(self, *args, **kwargs)

    return list_endpoints


def _patch_backend() -> None:
    backend = SageMakerModelBackend
    _patch.wrap(backend, "create_model", _create_model)
    _patch.wrap(backend, "create_endpoint", _create_endpoint)
    _patch.replace(backend, "describe_endpoint", describe_endpoint)
    _patch.replace(backend, "delete_endpoint", delete_endpoint)
    _patch.wrap(backend, "list_endpoints", _list_endpoints)
    _patch.add(backend, "update_endpoint", update_endpoint)
    _patch.wrap(backend, "update_endpoint_weights_and_capacities", wrap_update_weights)


def _patch_responses() -> None:
    def create_endpoint(self: Any) -> ActionResult:
        endpoint = self.sagemaker_backend.create_endpoint(
            endpoint_name=_patch.param(self, "EndpointName"),
            endpoint_config_name=_patch.param(self, "EndpointConfigName"),
            tags=_patch.param(self, "Tags"),
            deployment_config=_patch.param(self, "DeploymentConfig"),
        )
        return ActionResult({"EndpointArn": endpoint.arn})

    def update_endpoint(self: Any) -> ActionResult:
        arn = self.sagemaker_backend.update_endpoint(
            endpoint_name=_patch.param(self, "EndpointName"),
            endpoint_config_name=_patch.param(self, "EndpointConfigName"),
            deployment_config=_patch.param(self, "DeploymentConfig"),
            retain_deployment_config=_patch.param(self, "RetainDeploymentConfig"),
            retain_all_variant_properties=_patch.param(self, "RetainAllVariantProperties"),
            exclude_retained_variant_properties=_patch.param(self, "ExcludeRetainedVariantProperties"),
        )
        return ActionResult({"EndpointArn": arn})

    _patch.replace(SageMakerResponse, "create_endpoint", create_endpoint)
    _patch.add(SageMakerResponse, "update_endpoint", update_endpoint)


def apply() -> None:
    _patch_backend()
    _hosting_create.apply()
    _hosting_lists.apply()
    _hosting_shadow.apply()
    _patch_responses()
    # Anything that renders a FakeEndpoint (CloudFormation, other extensions) gets the full AWS shape.
    _patch.replace(FakeEndpoint, "response_object", property(describe))
