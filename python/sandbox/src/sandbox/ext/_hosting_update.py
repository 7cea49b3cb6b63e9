"""UpdateEndpoint and UpdateEndpointWeightsAndCapacities on the endpoint state machine (see sagemaker_hosting)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.utils import arn_formatter

from sandbox.ext import _hosting_access
from sandbox.ext._hosting_backend import refresh
from sandbox.ext._hosting_fleets import snapshot_fleet
from sandbox.ext._hosting_model import LOCK, DeploymentConfigError, Fleet
from sandbox.ext._hosting_plan import start_rollout
from sandbox.ext._hosting_update_checks import check_autoscaled, check_variant_names, unguarded_reason
from sandbox.ext._hosting_validate import validate_deployment_config

log = logging.getLogger(__name__)

BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")


def endpoint_arn(backend: Any, name: str) -> str:
    return str(arn_formatter("endpoint", name, backend.account_id, backend.region_name))


def get_endpoint(backend: Any, name: str) -> Any:
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(message=f'Could not find endpoint "{endpoint_arn(backend, name)}".')
    return endpoint


def validate(config: dict[str, Any] | None, fleet: Fleet) -> None:
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


def _guarded(effective: dict[str, Any] | None, current: Fleet, fleet: Fleet, name: str) -> dict[str, Any] | None:
    """The DeploymentConfig the rollout follows: none (all at once, no baking, no alarms) where guardrails do
    not apply; a guarded update must keep the variant names."""
    if not effective:
        return None
    reason = unguarded_reason(fleet)
    if reason is not None:
        log.info("endpoint %s: %s, deployment guardrails do not apply: all at once", name, reason)
        return None
    check_variant_names(current, fleet)
    return effective


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
        endpoint = get_endpoint(self, endpoint_name)
        state = refresh(endpoint)
        if state is None:
            raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if state.status in BUSY:
            raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if state.status == "Failed":
            raise ValidationError(message=f'Cannot update failed endpoint "{endpoint.arn}".')
        now = utcnow()
        fleet = snapshot_fleet(self, endpoint_config_name, now)
        check_autoscaled(self, endpoint_name, state.current, fleet)
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
        validate(effective, fleet)
        planned = _guarded(effective, state.current, fleet, endpoint_name)
        if deployment_config and retain_deployment_config:
            state.retained_deployment_config = deployment_config
        if effective:
            state.last_deployment_config = effective
        state.failure_reason = None
        state.status = "Updating"
        state.last_modified = now
        state.rollout = start_rollout("update", fleet, planned, now)
        state.rollout.access_failure = _hosting_access.failure(self, fleet, state.rollout.alarms)
        refresh(endpoint)
        log.info("endpoint %s: Updating to %s", endpoint_name, endpoint_config_name)
        return str(endpoint.arn)


def wrap_update_weights(original: Callable[..., Any]) -> Callable[..., Any]:
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
            arn = original(self, endpoint_name, desired_weights_and_capacities)
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

    return update_endpoint_weights_and_capacities
