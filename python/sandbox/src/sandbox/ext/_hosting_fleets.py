"""Fleets as moto's SageMaker backend defines them: endpoint configs, models and the packages they name.

Lookups here read moto's backends directly, never through the API, so cross-account policy checks
on the registry API (ext/sagemaker_registry.py) do not apply to what SageMaker itself resolves.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.utils import arn_formatter

from sandbox.ext._hosting_model import Container, Fleet, Variant

log = logging.getLogger(__name__)


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


def _variant_of(backend: Any, pv: dict[str, Any]) -> Variant:
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
    return Variant(
        name=str(pv["VariantName"]),
        model_name=str(pv["ModelName"]),
        instance_type=pv.get("InstanceType"),
        instance_count=int(pv.get("InitialInstanceCount") or 1),
        weight=float(pv.get("InitialVariantWeight", 1.0) if pv.get("InitialVariantWeight") is not None else 1.0),
        serverless=pv.get("ServerlessConfig"),
        containers=containers,
        model_package_arn=package_arn,
        model_version=version,
    )


def snapshot_fleet(backend: Any, config_name: str, now: datetime) -> Fleet:
    """Freeze what an endpoint config deploys; later model or package changes don't touch a running fleet."""
    config = backend.endpoint_configs.get(config_name)
    if config is None:
        arn = arn_formatter("endpoint-config", config_name, backend.account_id, backend.region_name)
        raise ValidationError(message=f'Could not find endpoint configuration "{arn}".')
    return Fleet(
        config_name=config_name,
        variants=[_variant_of(backend, pv) for pv in config.production_variants],
        data_capture=dict(config.data_capture_config or {}),
        created_at=now,
        shadows=[_variant_of(backend, pv) for pv in getattr(config, "shadow_production_variants", None) or []],
    )
