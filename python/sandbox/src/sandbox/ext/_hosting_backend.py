"""Where the hosting model meets moto's endpoints: rollout progress mirrored onto them, DescribeEndpoint's shape.

Fleets come from moto's backends (`_hosting_fleets`), alarm states from moto's CloudWatch (`_hosting_alarms`).
"""

from __future__ import annotations

import hashlib
import logging
from fractions import Fraction
from typing import Any

from sandbox.ext._hosting_alarms import alarm_probe
from sandbox.ext._hosting_model import LOCK, EndpointState, Fleet, Phase, Rollout, Variant
from sandbox.ext._hosting_progress import advance

log = logging.getLogger(__name__)

STATE_ATTR = "sandbox_state"


def state_of(endpoint: Any) -> EndpointState | None:
    state = getattr(endpoint, STATE_ATTR, None)
    return state if isinstance(state, EndpointState) else None


def refresh(endpoint: Any) -> EndpointState | None:
    """Advance the endpoint's rollout to now and mirror the result onto moto's FakeEndpoint."""
    state = state_of(endpoint)
    if state is None:
        return None
    with LOCK:
        advance(state, alarm_probe(state.account_id, state.region))
        endpoint.endpoint_status = state.status
        endpoint.endpoint_config_name = state.current.config_name
        endpoint.failure_reason = state.failure_reason
        endpoint.last_modified_time = state.last_modified
        endpoint.production_variants = _variant_summaries(state)
        endpoint.data_capture_config = state.current.data_capture
    return state


def _resolved(image: str) -> str:
    repo = image.split("@", 1)[0]
    if ":" in repo.rsplit("/", 1)[-1]:
        repo = repo.rsplit(":", 1)[0]
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _images(variant: Variant, fleet: Fleet) -> list[dict[str, Any]]:
    return [
        {"SpecifiedImage": c.image, "ResolvedImage": _resolved(c.image), "ResolutionTime": fleet.created_at}
        for c in variant.containers
        if c.image
    ]


def _count(variant: Variant, capacity: Fraction) -> int:
    return round(variant.instance_count * capacity)


def _variant_summaries(state: EndpointState, shadow: bool = False) -> list[dict[str, Any]]:
    """ProductionVariants (or, with `shadow`, ShadowProductionVariants) of the serving fleet, in
    ProductionVariantSummary's shape: AWS describes shadow variants exactly as production ones."""
    rollout = state.rollout
    phase: Phase | None = None
    if rollout is not None:
        phase = rollout.phase_at(rollout.sim_now())
    summaries: list[dict[str, Any]] = []
    for variant in state.current.shadows if shadow else state.current.variants:
        summary: dict[str, Any] = {"VariantName": variant.name, "DeployedImages": _images(variant, state.current)}
        weight = variant.weight
        if rollout is not None and rollout.kind == "create":
            current_count, current_weight = 0, weight
            summary["VariantStatus"] = [
                {"Status": "Creating", "StatusMessage": "Provisioning instances", "StartTime": rollout.started_at}
            ]
        elif state.status == "Failed":
            current_count, current_weight = 0, weight
        elif rollout is not None and phase is not None:
            current_count = _count(variant, phase.blue_capacity)
            current_weight = float(weight * (1 - phase.green_traffic))
        else:
            current_count, current_weight = variant.instance_count, weight
        summary.update({"CurrentWeight": current_weight, "DesiredWeight": weight})
        if variant.serverless is not None:
            summary.update(
                {"CurrentServerlessConfig": variant.serverless, "DesiredServerlessConfig": variant.serverless}
            )
        else:
            summary.update({"CurrentInstanceCount": current_count, "DesiredInstanceCount": variant.instance_count})
        summaries.append(summary)
    return summaries


def _pending(state: EndpointState) -> dict[str, Any] | None:
    rollout = state.rollout
    if rollout is None or rollout.kind != "update":
        return None
    phase = rollout.phase_at(rollout.sim_now())
    pending: dict[str, Any] = {
        "EndpointConfigName": rollout.target.config_name,
        "ProductionVariants": _pending_variants(rollout, phase, rollout.target.variants),
        "StartTime": rollout.started_at,
    }
    if rollout.target.shadows:
        pending["ShadowProductionVariants"] = _pending_variants(rollout, phase, rollout.target.shadows)
    return pending


def _pending_variants(rollout: Rollout, phase: Phase, targets: list[Variant]) -> list[dict[str, Any]]:
    variants: list[dict[str, Any]] = []
    for variant in targets:
        summary: dict[str, Any] = {
            "VariantName": variant.name,
            "DeployedImages": _images(variant, rollout.target),
            "CurrentWeight": float(variant.weight * phase.green_traffic),
            "DesiredWeight": variant.weight,
        }
        if variant.serverless is not None:
            summary["DesiredServerlessConfig"] = variant.serverless
        else:
            summary.update(
                {
                    "CurrentInstanceCount": _count(variant, phase.green_capacity),
                    "DesiredInstanceCount": variant.instance_count,
                    "InstanceType": variant.instance_type,
                }
            )
        if phase.variant_status:
            summary["VariantStatus"] = [{"Status": phase.variant_status, "StartTime": rollout.at(phase.start)}]
        variants.append(summary)
    return variants


def _data_capture(fleet: Fleet) -> dict[str, Any] | None:
    config = fleet.data_capture
    if not config:
        return None
    enabled = bool(config.get("EnableCapture", True))
    summary: dict[str, Any] = {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": int(config.get("InitialSamplingPercentage", 0)),
        "DestinationS3Uri": config.get("DestinationS3Uri", ""),
    }
    if config.get("KmsKeyId"):
        summary["KmsKeyId"] = config["KmsKeyId"]
    return summary


def describe(endpoint: Any) -> dict[str, Any]:
    """DescribeEndpoint's answer in AWS's shape."""
    state = refresh(endpoint)
    if state is None:
        # Only endpoints made before the extension was applied lack state; answer what moto knows.
        return {
            "EndpointName": endpoint.endpoint_name,
            "EndpointArn": endpoint.arn,
            "EndpointConfigName": endpoint.endpoint_config_name,
            "ProductionVariants": endpoint.production_variants,
            "EndpointStatus": endpoint.endpoint_status,
            "CreationTime": endpoint.creation_time,
            "LastModifiedTime": endpoint.last_modified_time,
        }
    with LOCK:
        answer: dict[str, Any] = {
            "EndpointName": state.name,
            "EndpointArn": state.arn,
            "EndpointConfigName": state.current.config_name,
            "ProductionVariants": _variant_summaries(state),
            "EndpointStatus": state.status,
            "CreationTime": state.created_at,
            "LastModifiedTime": state.last_modified,
        }
        if state.current.shadows:
            answer["ShadowProductionVariants"] = _variant_summaries(state, shadow=True)
        capture = _data_capture(state.current)
        if capture is not None:
            answer["DataCaptureConfig"] = capture
        if state.failure_reason:
            answer["FailureReason"] = state.failure_reason
        if state.last_deployment_config is not None:
            answer["LastDeploymentConfig"] = state.last_deployment_config
        pending = _pending(state)
        if pending is not None:
            answer["PendingDeploymentSummary"] = pending
        return answer
