"""Model package versions as AWS numbers them, merged updates, and the package state-change events (on create
and on every update, with `UpdatedModelPackageFields` naming what the update set)."""

from __future__ import annotations

import logging
from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import ModelPackage, ModelPackageGroup, SageMakerModelBackend
from moto.sagemaker.utils import validate_model_approval_status

from sandbox.ext import _bus
from sandbox.ext._registry_store import SAGEMAKER_ARN, find_package

log = logging.getLogger(__name__)

DETAIL_TYPE = "SageMaker Model Package State Change"

_original_create_group = SageMakerModelBackend.create_model_package_group
_original_create_package = SageMakerModelBackend.create_model_package


def create_model_package_group(
    self: SageMakerModelBackend,
    model_package_group_name: str,
    model_package_group_description: str,
    tags: list[dict[str, str]] | None = None,
) -> str:
    existing = self.model_package_groups.get(model_package_group_name)
    if existing is not None:
        raise ValidationError(f"Model Package Group already exists: {existing.arn}")
    return str(_original_create_group(self, model_package_group_name, model_package_group_description, tags))


def create_model_package(self: SageMakerModelBackend, **kwargs: Any) -> str:
    group_name = kwargs.get("model_package_group_name")
    if group_name and not kwargs.get("model_package_name") and group_name in self.model_package_groups:
        # moto numbers versions by counting, which reuses numbers after a delete; AWS never does.
        group = self.model_package_groups[group_name]
        last = getattr(group, "sandbox_last_version", None)
        if last is None:
            last = max(
                (
                    p.model_package_version or 0
                    for p in self.model_packages.values()
                    if p.model_package_group_name == group_name
                ),
                default=0,
            )
        arn = _create_versioned(self, group, last + 1, kwargs)
        group.sandbox_last_version = last + 1
    else:
        arn = str(_original_create_package(self, **kwargs))
    package = self.model_packages[arn]
    if package.tags is None:
        package.tags = []
    if package.model_package_group_name:
        _emit_state_change(self, package, None)
    return arn


def _create_versioned(
    self: SageMakerModelBackend, group: ModelPackageGroup, version: int, kwargs: dict[str, Any]
) -> str:
    status = kwargs.get("model_approval_status") or "PendingManualApproval"
    package = ModelPackage(
        model_package_name=group.model_package_group_name,
        model_package_group_name=group.model_package_group_name,
        model_package_version=version,
        model_package_description=kwargs.get("model_package_description"),
        inference_specification=kwargs.get("inference_specification"),
        source_algorithm_specification=kwargs.get("source_algorithm_specification"),
        validation_specification=kwargs.get("validation_specification"),
        certify_for_marketplace=bool(kwargs.get("certify_for_marketplace")),
        model_approval_status=status,
        metadata_properties=kwargs.get("metadata_properties"),
        model_metrics=kwargs.get("model_metrics"),
        approval_description=None,
        customer_metadata_properties=kwargs.get("customer_metadata_properties"),
        drift_check_baselines=kwargs.get("drift_check_baselines"),
        domain=kwargs.get("domain"),
        task=kwargs.get("task"),
        sample_payload_url=kwargs.get("sample_payload_url"),
        additional_inference_specifications=kwargs.get("additional_inference_specifications"),
        client_token=kwargs.get("client_token"),
        region_name=self.region_name,
        account_id=self.account_id,
        model_package_type="Versioned",
        tags=kwargs.get("tags") or [],
    )
    self.model_package_name_mapping[package.model_package_name] = package.arn
    self.model_package_name_mapping[package.arn] = package.arn
    self.model_packages[package.arn] = package
    return str(package.arn)


def update_model_package(
    self: SageMakerModelBackend,
    model_package_arn: str,
    model_approval_status: str | None,
    approval_description: str | None,
    customer_metadata_properties: dict[str, str] | None,
    customer_metadata_properties_to_remove: list[str] | None,
    additional_inference_specifications_to_add: list[Any] | None,
) -> str:
    package = find_package(self, model_package_arn)
    previous_status = package.model_approval_status
    # AWS lists the fields the request updated, so a metadata-only write is told apart from an approval.
    changed: list[str] = []
    if model_approval_status is not None:
        validate_model_approval_status(model_approval_status)
        changed.append("ModelApprovalStatus")
        package.model_approval_status = model_approval_status
    if approval_description is not None:
        package.approval_description = approval_description
        changed.append("ApprovalDescription")
    to_remove = list(customer_metadata_properties_to_remove or [])
    if customer_metadata_properties or to_remove:
        merged = dict(package.customer_metadata_properties or {})
        merged.update(customer_metadata_properties or {})
        for key in to_remove:
            merged.pop(key, None)
        package.customer_metadata_properties = merged
        changed.append("CustomerMetadataProperties")
    if additional_inference_specifications_to_add:
        package.add_additional_inference_specifications(additional_inference_specifications_to_add)
        changed.append("AdditionalInferenceSpecifications")
    package.modifications_done()
    if previous_status != package.model_approval_status:
        log.info("registry: %s %s -> %s", package.arn, previous_status, package.model_approval_status)
    if package.model_package_group_name:
        # AWS puts the event on every update, not only on approval changes (rules filter on the fields).
        _emit_state_change(self, package, changed)
    return str(package.arn)


def _emit_state_change(backend: SageMakerModelBackend, package: ModelPackage, updated_fields: list[str] | None) -> None:
    detail: dict[str, Any] = {
        "ModelPackageGroupName": package.model_package_group_name,
        "ModelPackageVersion": package.model_package_version,
        "ModelPackageArn": package.arn,
        "ModelPackageName": package.model_package_name,
        "CreationTime": _bus.iso_time(package.creation_time),
        "InferenceSpecification": package.inference_specification,
        "ModelPackageStatus": package.model_package_status,
        "ModelPackageStatusDetails": package.model_package_status_details,
        "CertifyForMarketplace": bool(package.certify_for_marketplace),
        "ModelApprovalStatus": package.model_approval_status,
        "ModelPackageDescription": package.model_package_description,
        "ApprovalDescription": package.approval_description,
        "MetadataProperties": package.metadata_properties,
        "ModelMetrics": package.model_metrics,
        "CustomerMetadataProperties": package.customer_metadata_properties,
        "CreatedBy": package.created_by,
        "LastModifiedBy": package.last_modified_by,
    }
    if updated_fields is not None:
        detail["UpdatedModelPackageFields"] = updated_fields
    if package.last_modified_time is not None:
        detail["LastModifiedTime"] = _bus.iso_time(package.last_modified_time)
    detail = {k: v for k, v in detail.items() if v is not None}
    _bus.emit(backend.account_id, backend.region_name, "aws.sagemaker", DETAIL_TYPE, detail, [str(package.arn)])


_original_get_resource_from_arn = SageMakerModelBackend._get_resource_from_arn


def resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
    """moto's resource lookup for tags, which does not find model packages by ARN."""
    match = SAGEMAKER_ARN.match(arn)
    if match and match.group(3) == "model-package":
        package = self.model_packages.get(arn) or self.model_packages.get(arn.lower())
        if package is None:
            raise ValidationError(f"Could not find model-package with name {match.group(4)}")
        if package.tags is None:
            package.tags = []
        return package
    return _original_get_resource_from_arn(self, arn)
