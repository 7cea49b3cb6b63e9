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
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from sandbox.ext import _hosting_access
from sandbox.ext._hosting_backend import STATE_ATTR, describe, find_model_package, refresh, snapshot_fleet
from sandbox.ext._hosting_model import (
    LOCK,
    DeploymentConfigError,
    EndpointState,
    Fleet,
    start_rollout,
    validate_deployment_config,
)

log = logging.getLogger(__name__)

BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")


def _endpoint_arn(backend: Any, name: str) -> str:
    return str(arn_formatter("endpoint", name, backend.account_id, backend.region_name))


def _get_endpoint(backend: Any, name: str) -> Any:
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(message=f'Could not find endpoint "{_endpoint_arn(backend, name)}".')
    return endpoint


def _validate(config: dict[str, Any] | None, fleet: Fleet) -> None:
    if not config:
        return
    try:
        validate_deployment_config(config, fleet)
    except DeploymentConfigError as exc:
        raise ValidationError(message=str(exc)) from exc


def _retain_variant_properties(fleet: Fleet, current: Fleet, excluded: list[dict[str, Any]] | None) -> None:
    """RetainAllVariantProperties: keep live counts, weights and capture unless excluded."""
    skip = {str(e.get("VariantPropertyType")) for e in excluded or []}
    live = {v.name: v for v in current.variants}
    for variant in fleet.variants:
        old = live.get(variant.name)
        if old is None:
            continue
        if "DesiredInstanceCount" not in skip:
            variant.instance_count = old.instance_count
        if "DesiredWeight" not in skip:
            variant.weight = old.weight
    if "DataCaptureConfig" not in skip:
        fleet.data_capture = dict(current.data_capture)


def _patch_backend() -> None:
    backend_cls: Any = SageMakerModelBackend
    original_create_model = backend_cls.create_model
    original_create_endpoint = backend_cls.create_endpoint
    original_list_endpoints = backend_cls.list_endpoints
    original_weights = backend_cls.update_endpoint_weights_and_capacities

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
        for spec in [primary_container or {}, *(containers or [])]:
            ref = spec.get("ModelPackageName")
            if ref and find_model_package(str(ref), self.account_id, self.region_name) is None:
                raise ValidationError(message=f"ModelPackage {ref} does not exist.")
        return original_create_model(
            self,
            model_name=model_name,
            execution_role_arn=execution_role_arn,
            primary_container=primary_container,
            vpc_config=vpc_config,
            containers=containers,
            tags=tags,
        )

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
                    message=f'Cannot create already existing endpoint "{_endpoint_arn(self, endpoint_name)}".'
                )
            now = utcnow()
            fleet = snapshot_fleet(self, endpoint_config_name, now)
            _validate(deployment_config, fleet)
            endpoint = original_create_endpoint(
                self, endpoint_name=endpoint_name, endpoint_config_name=endpoint_config_name, tags=tags
            )
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

    def describe_endpoint(self: Any, endpoint_name: str) -> dict[str, Any]:
        return describe(_get_endpoint(self, endpoint_name))

    def delete_endpoint(self: Any, endpoint_name: str) -> None:
        with LOCK:
            endpoint = _get_endpoint(self, endpoint_name)
            state = refresh(endpoint)
            if state is not None and state.status in BUSY:
                raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
            del self.endpoints[endpoint_name]

    def list_endpoints(self: Any, *args: Any, **kwargs: Any) -> Any:
        for endpoint in list(self.endpoints.values()):
            refresh(endpoint)
        return original_list_endpoints(self, *args, **kwargs)

    def update_endpoint(
        self: Any,
        endpoint_name: str,
        endpoint_config_name: str,
        deployment_config: dict[str, Any] | None = None,
        retain_deployment_config: bool | None = None,
        retain_all_variant_properties: bool | None = None,
        exclude_retained_variant_properties: list[dict[str, Any]] | None = None,
    ) -> str:
        with LOCK:
            endpoint = _get_endpoint(self, endpoint_name)
            state = refresh(endpoint)
            if state is None:
                raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
            if state.status in BUSY:
                raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
            if state.status == "Failed":
                raise ValidationError(message=f'Cannot update failed endpoint "{endpoint.arn}".')
            now = utcnow()
            fleet = snapshot_fleet(self, endpoint_config_name, now)
            if retain_all_variant_properties:
                _retain_variant_properties(fleet, state.current, exclude_retained_variant_properties)
            effective: dict[str, Any] | None
            if deployment_config:
                effective = deployment_config
            elif retain_deployment_config:
                effective = state.last_deployment_config
            else:
                # A DeploymentConfig given to CreateEndpoint (or retained by an update) governs updates that pass none.
                effective = state.retained_deployment_config
            _validate(effective, fleet)
            if deployment_config and retain_deployment_config:
                state.retained_deployment_config = deployment_config
            if effective:
                state.last_deployment_config = effective
            state.failure_reason = None
            state.status = "Updating"
            state.last_modified = now
            state.rollout = start_rollout("update", fleet, effective, now)
            state.rollout.access_failure = _hosting_access.failure(self, fleet, state.rollout.alarms)
            refresh(endpoint)
            log.info("endpoint %s: Updating to %s", endpoint_name, endpoint_config_name)
            return str(endpoint.arn)

    def update_endpoint_weights_and_capacities(
        self: Any, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]
    ) -> str:
        with LOCK:
            endpoint = self.endpoints.get(endpoint_name)
            state = refresh(endpoint) if endpoint is not None else None
            if endpoint is not None and state is not None:
                if state.status in BUSY:
                    raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
                if state.status == "Failed":
                    raise ValidationError(message=f'Cannot update failed endpoint "{endpoint.arn}".')
            arn = original_weights(self, endpoint_name, desired_weights_and_capacities)
            if state is not None:
                wanted = {str(d.get("VariantName")): d for d in desired_weights_and_capacities}
                for variant in state.current.variants:
                    desired = wanted.get(variant.name)
                    if desired is None:
                        continue
                    if desired.get("DesiredWeight") is not None:
                        variant.weight = float(desired["DesiredWeight"])
                    if desired.get("DesiredInstanceCount") is not None:
                        variant.instance_count = int(desired["DesiredInstanceCount"])
                state.last_modified = utcnow()
                refresh(endpoint)
            return str(arn)

    backend_cls.create_model = create_model
    backend_cls.create_endpoint = create_endpoint
    backend_cls.describe_endpoint = describe_endpoint
    backend_cls.delete_endpoint = delete_endpoint
    backend_cls.list_endpoints = list_endpoints
    backend_cls.update_endpoint = update_endpoint
    backend_cls.update_endpoint_weights_and_capacities = update_endpoint_weights_and_capacities


def _patch_responses() -> None:
    response_cls: Any = SageMakerResponse

    def create_endpoint(self: Any) -> ActionResult:
        endpoint = self.sagemaker_backend.create_endpoint(
            endpoint_name=self._get_param("EndpointName"),
            endpoint_config_name=self._get_param("EndpointConfigName"),
            tags=self._get_param("Tags"),
            deployment_config=self._get_param("DeploymentConfig"),
        )
        return ActionResult({"EndpointArn": endpoint.arn})

    def update_endpoint(self: Any) -> ActionResult:
        arn = self.sagemaker_backend.update_endpoint(
            endpoint_name=self._get_param("EndpointName"),
            endpoint_config_name=self._get_param("EndpointConfigName"),
            deployment_config=self._get_param("DeploymentConfig"),
            retain_deployment_config=self._get_param("RetainDeploymentConfig"),
            retain_all_variant_properties=self._get_param("RetainAllVariantProperties"),
            exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
        )
        return ActionResult({"EndpointArn": arn})

    response_cls.create_endpoint = create_endpoint
    response_cls.update_endpoint = update_endpoint


def apply() -> None:
    _patch_backend()
    _patch_responses()
    # Anything that renders a FakeEndpoint (CloudFormation, other extensions) gets the full AWS shape.
    endpoint_cls: Any = FakeEndpoint
    endpoint_cls.response_object = property(describe)
