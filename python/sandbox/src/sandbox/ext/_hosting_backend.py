"""Where the hosting model meets moto: fleets read from moto's backends, alarms, DescribeEndpoint's shape.

Lookups here read moto's backends directly, never through the API, so cross-account policy checks
on the registry API (ext/sagemaker_registry.py) do not apply to what SageMaker itself resolves.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from fractions import Fraction
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.utils import arn_formatter

from sandbox.ext._hosting_model import (
    LOCK,
    AlarmProbe,
    AlarmTrip,
    Container,
    EndpointState,
    Fleet,
    Phase,
    Variant,
    advance,
)

log = logging.getLogger(__name__)

STATE_ATTR = "sandbox_state"


# ---------------------------------------------------------------- model packages and fleets


def find_model_package(ref: str, account_id: str, region: str) -> Any | None:
    """The moto ModelPackage that `ref` (an ARN in any account, or a name in this one) names, if any."""
    if ref.startswith("arn:"):
        parts = ref.split(":", 5)
        if len(parts) < 6 or not parts[5].startswith("model-package/"):
            return None
        region, account_id = parts[3], parts[4]
    backend = sagemaker_backends[account_id][region]
    candidates = [ref, backend.model_package_name_mapping.get(ref, ref)]
    if ref.startswith("arn:"):
        # moto lowercases the package name inside its ARNs.
        head, _, resource = ref.partition(":model-package/")
        candidates.append(f"{head}:model-package/{resource.lower()}")
    for key in candidates:
        package = backend.model_packages.get(key)
        if package is not None:
            return package
    return None


def _version_of(package_arn: str, package: Any | None) -> str:
    suffix = package_arn.rsplit("/", 1)[-1] if package_arn else ""
    if suffix.isdigit() and package_arn.count("/") >= 2:
        return suffix
    if package is not None and getattr(package, "model_package_version", None):
        return str(package.model_package_version)
    return ""


def _containers_of(model: Any, account_id: str, region: str) -> list[Container]:
    raw: list[dict[str, Any]] = []
    if model.primary_container:
        raw.append(model.primary_container)
    raw.extend(model.containers or [])
    containers: list[Container] = []
    for spec in raw:
        env: dict[str, str] = {}
        image = str(spec.get("Image") or "")
        data_url = str(spec.get("ModelDataUrl") or "")
        package_arn = ""
        ref = spec.get("ModelPackageName")
        if ref:
            package = find_model_package(str(ref), account_id, region)
            package_arn = package.arn if package is not None else str(ref)
            spec_containers = ((package.inference_specification or {}).get("Containers") or []) if package else []
            for pc in spec_containers:
                env.update({str(k): str(v) for k, v in (pc.get("Environment") or {}).items()})
                image = image or str(pc.get("Image") or "")
                data_url = data_url or str(pc.get("ModelDataUrl") or "")
        # The model's own environment overrides the package's, as SageMaker merges them.
        env.update({str(k): str(v) for k, v in (spec.get("Environment") or {}).items()})
        containers.append(
            Container(image=image, environment=env, model_package_arn=package_arn, model_data_url=data_url)
        )
    return containers


def _tag(model: Any, key: str) -> str:
    for tag in model.tags or []:
        if tag.get("Key") == key:
            return str(tag.get("Value", ""))
    return ""


def snapshot_fleet(backend: Any, config_name: str, now: datetime) -> Fleet:
    """Freeze what an endpoint config deploys; later model or package changes don't touch a running fleet."""
    config = backend.endpoint_configs.get(config_name)
    if config is None:
        arn = arn_formatter("endpoint-config", config_name, backend.account_id, backend.region_name)
        raise ValidationError(message=f'Could not find endpoint configuration "{arn}".')
    variants: list[Variant] = []
    for pv in config.production_variants:
        model = backend._models.get(pv["ModelName"])
        if model is None:
            arn = arn_formatter("model", pv["ModelName"], backend.account_id, backend.region_name)
            raise ValidationError(message=f'Could not find model "{arn}".')
        containers = _containers_of(model, backend.account_id, backend.region_name)
        package_arn = next((c.model_package_arn for c in containers if c.model_package_arn), "")
        package = find_model_package(package_arn, backend.account_id, backend.region_name) if package_arn else None
        version = _version_of(package_arn, package)
        if not version:
            env_version = next((c.environment.get("SANDBOX_MODEL_VERSION", "") for c in containers), "")
            version = env_version or _tag(model, "model_version") or "0"
        variants.append(
            Variant(
                name=str(pv["VariantName"]),
                model_name=str(pv["ModelName"]),
                instance_type=pv.get("InstanceType"),
                instance_count=int(pv.get("InitialInstanceCount") or 1),
                weight=float(
                    pv.get("InitialVariantWeight", 1.0) if pv.get("InitialVariantWeight") is not None else 1.0
                ),
                serverless=pv.get("ServerlessConfig"),
                containers=containers,
                model_package_arn=package_arn,
                model_version=version,
            )
        )
    return Fleet(
        config_name=config_name,
        variants=variants,
        data_capture=dict(config.data_capture_config or {}),
        created_at=now,
    )


# ---------------------------------------------------------------- alarms


def _alarm_history(alarm: Any) -> list[tuple[datetime, str]]:
    """(since, state) for every state the alarm has been in, oldest first."""
    states = [
        (entry[4], str(entry[3]))
        for entry in getattr(alarm, "history", [])
        if isinstance(entry, tuple) and len(entry) >= 5 and entry[0] == "StateUpdate"
    ]
    states.append((alarm.state_updated_timestamp, str(alarm.state_value)))
    return states


def alarm_probe(account_id: str, region: str) -> AlarmProbe:
    """Only ALARM trips a rollback, as in AWS; OK and INSUFFICIENT_DATA (and unknown alarms) do not."""

    def probe(names: list[str], start: datetime, end: datetime) -> AlarmTrip | None:
        alarms = cloudwatch_backends[account_id][region].alarms
        first: datetime | None = None
        tripped: dict[str, datetime] = {}
        for name in names:
            alarm = alarms.get(name)
            if alarm is None:
                continue
            history = _alarm_history(alarm)
            for i, (since, value) in enumerate(history):
                until = history[i + 1][0] if i + 1 < len(history) else None
                if value != "ALARM":
                    continue
                lo = max(since, start)
                if lo <= end and (until is None or lo < until):
                    tripped[name] = lo
                    first = lo if first is None else min(first, lo)
                    break
        if first is None:
            return None
        return AlarmTrip(when=first, names=sorted(n for n, t in tripped.items() if t <= first))

    return probe


# ---------------------------------------------------------------- state and shape


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


def _variant_summaries(state: EndpointState) -> list[dict[str, Any]]:
    rollout = state.rollout
    phase: Phase | None = None
    if rollout is not None:
        phase = rollout.phase_at(rollout.sim_now())
    summaries: list[dict[str, Any]] = []
    for variant in state.current.variants:
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
    variants: list[dict[str, Any]] = []
    for variant in rollout.target.variants:
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
    return {
        "EndpointConfigName": rollout.target.config_name,
        "ProductionVariants": variants,
        "StartTime": rollout.started_at,
    }


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
