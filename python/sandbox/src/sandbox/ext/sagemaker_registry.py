"""SageMaker Model Registry as AWS runs it: group policies, cross-account reads, merges, events.

Adds Put/Get/DeleteModelPackageGroupPolicy, DeleteModelPackageGroup and DeleteModelPackage; honours
the group's resource policy when another account describes, lists or updates packages; merges
CustomerMetadataProperties on update instead of replacing them (and keeps fields the update leaves out);
never reuses a version number; answers ListTags/AddTags/DeleteTags on package ARNs; and puts the
"SageMaker Model Package State Change" event on the owner's default bus when a package is created or its
approval status changes.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ConflictException, ValidationError
from moto.sagemaker.models import ModelPackage, ModelPackageGroup, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import validate_model_approval_status

from sandbox.ext import _bus, _patch

log = logging.getLogger(__name__)

_SAGEMAKER_ARN = re.compile(r"^arn:[\w-]+:sagemaker:([a-z0-9-]+):(\d{12}):([a-z-]+)/(.+)$")
DETAIL_TYPE = "SageMaker Model Package State Change"


# --- backend: groups, policies, packages -------------------------------------------------------------


def _group(backend: SageMakerModelBackend, name_or_arn: str) -> ModelPackageGroup:
    name = name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
    group = backend.model_package_groups.get(name)
    if group is None:
        arn = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:model-package-group/{name}"
        raise ValidationError(f"ModelPackageGroup {arn} does not exist.")
    return group


def _package(backend: SageMakerModelBackend, name_or_arn: str) -> ModelPackage:
    key = backend.model_package_name_mapping.get(name_or_arn, name_or_arn)
    package = backend.model_packages.get(key) or backend.model_packages.get(key.lower())
    if package is None:
        raise ValidationError(f"Model package {name_or_arn} not found")
    return package


def put_model_package_group_policy(self: SageMakerModelBackend, group_name: str, policy: str) -> str:
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        raise ValidationError("The resource policy is not valid JSON.") from None
    if not isinstance(document, dict) or not document.get("Statement"):
        raise ValidationError("The resource policy must contain at least one statement.")
    group = _group_for_policy(self, group_name)
    group.sandbox_policy = policy
    return str(group.arn)


def _group_for_policy(backend: SageMakerModelBackend, group_name: str) -> ModelPackageGroup:
    group = backend.model_package_groups.get(group_name)
    if group is None:
        arn = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:model-package-group/{group_name}"
        raise ValidationError(f"Cannot find Model Package Group: {arn}")
    return group


def get_model_package_group_policy(self: SageMakerModelBackend, group_name: str) -> str:
    group = _group_for_policy(self, group_name)
    policy = getattr(group, "sandbox_policy", None)
    if not policy:
        raise ValidationError(f"Cannot find resource policy for: {group.arn}")
    return str(policy)


def delete_model_package_group_policy(self: SageMakerModelBackend, group_name: str) -> None:
    group = _group_for_policy(self, group_name)
    if not getattr(group, "sandbox_policy", None):
        raise ValidationError(f"Cannot find resource policy for: {group.arn}")
    group.sandbox_policy = None


def delete_model_package_group(self: SageMakerModelBackend, name_or_arn: str) -> None:
    group = _group(self, name_or_arn)
    versions = [p for p in self.model_packages.values() if p.model_package_group_name == group.model_package_group_name]
    if versions:
        raise ConflictException(
            f"Model Package Group {group.arn} cannot be deleted because it contains {len(versions)} model "
            "package(s). Delete the model packages first."
        )
    del self.model_package_groups[group.model_package_group_name]


def delete_model_package(self: SageMakerModelBackend, name_or_arn: str) -> None:
    package = _package(self, name_or_arn)
    del self.model_packages[package.arn]
    for key in [k for k, v in self.model_package_name_mapping.items() if v == package.arn]:
        del self.model_package_name_mapping[key]
    # Unversioned lookups by name must now fail; versioned ones keep the group's newest remaining version.
    if package.model_package_group_name:
        remaining = [
            p for p in self.model_packages.values() if p.model_package_group_name == package.model_package_group_name
        ]
        if remaining:
            newest = max(remaining, key=lambda p: p.model_package_version or 0)
            self.model_package_name_mapping[newest.model_package_name] = newest.arn


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
    package = _package(self, model_package_arn)
    previous_status = package.model_approval_status
    changed: list[str] = []
    if model_approval_status is not None:
        validate_model_approval_status(model_approval_status)
        if model_approval_status != previous_status:
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
    if package.model_package_group_name and package.model_approval_status != previous_status:
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


def _get_resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
    match = _SAGEMAKER_ARN.match(arn)
    if match and match.group(3) == "model-package":
        package = self.model_packages.get(arn) or self.model_packages.get(arn.lower())
        if package is None:
            raise ValidationError(f"Could not find model-package with name {match.group(4)}")
        if package.tags is None:
            package.tags = []
        return package
    return _original_get_resource_from_arn(self, arn)


# --- responses: new actions and cross-account reads ---------------------------------------------------


def _put_policy_response(self: SageMakerResponse) -> ActionResult:
    arn = put_model_package_group_policy(
        self.sagemaker_backend, _patch.param(self, "ModelPackageGroupName"), _patch.param(self, "ResourcePolicy")
    )
    return ActionResult({"ModelPackageGroupArn": arn})


def _get_policy_response(self: SageMakerResponse) -> ActionResult:
    policy = get_model_package_group_policy(self.sagemaker_backend, _patch.param(self, "ModelPackageGroupName"))
    return ActionResult({"ResourcePolicy": policy})


def _delete_policy_response(self: SageMakerResponse) -> ActionResult:
    delete_model_package_group_policy(self.sagemaker_backend, _patch.param(self, "ModelPackageGroupName"))
    return EmptyResult()


def _delete_group_response(self: SageMakerResponse) -> ActionResult:
    delete_model_package_group(self.sagemaker_backend, _patch.param(self, "ModelPackageGroupName"))
    return EmptyResult()


def _delete_package_response(self: SageMakerResponse) -> ActionResult:
    delete_model_package(self.sagemaker_backend, _patch.param(self, "ModelPackageName"))
    return EmptyResult()


def _owner_check(self: SageMakerResponse, param: str, action: str, kind: str) -> None:
    """Route a request naming another account's ARN to that account (moto looks in the caller's)."""
    value = _patch.param(self, param)
    match = _SAGEMAKER_ARN.match(value or "")
    if not match or match.group(2) == self.current_account:
        return
    region, owner, resource_type, resource_id = match.groups()
    if resource_type != kind:
        return
    group_name = resource_id.split("/", 1)[0]
    backend = sagemaker_backends[owner][region]
    group = next(
        (g for g in backend.model_package_groups.values() if g.model_package_group_name.lower() == group_name.lower()),
        None,
    )
    # The IAM middleware has already decided `action` with the group policy (both sides, across accounts).
    self.current_account = owner
    self.region = region
    if kind == "model-package-group" and group is not None:
        # moto looks groups up by name only.
        self.params[param] = group.model_package_group_name


def _cross_account(
    original: Callable[[SageMakerResponse], ActionResult], param: str, action: str, kind: str
) -> Callable[[SageMakerResponse], ActionResult]:
    def handler(self: SageMakerResponse) -> ActionResult:
        _owner_check(self, param, action, kind)
        return original(self)

    handler.__name__ = original.__name__
    return handler


def apply() -> None:
    backend = SageMakerModelBackend
    for replacement in (create_model_package_group, create_model_package, update_model_package, _get_resource_from_arn):
        _patch.replace(backend, replacement.__name__, replacement)

    response = SageMakerResponse
    _patch.add(response, "put_model_package_group_policy", _put_policy_response)
    _patch.add(response, "get_model_package_group_policy", _get_policy_response)
    _patch.add(response, "delete_model_package_group_policy", _delete_policy_response)
    _patch.add(response, "delete_model_package_group", _delete_group_response)
    _patch.add(response, "delete_model_package", _delete_package_response)
    for method, param, action, kind in (
        ("describe_model_package", "ModelPackageName", "sagemaker:DescribeModelPackage", "model-package"),
        ("update_model_package", "ModelPackageArn", "sagemaker:UpdateModelPackage", "model-package"),
        ("list_model_packages", "ModelPackageGroupName", "sagemaker:ListModelPackages", "model-package-group"),
        (
            "describe_model_package_group",
            "ModelPackageGroupName",
            "sagemaker:DescribeModelPackageGroup",
            "model-package-group",
        ),
    ):
        _patch.wrap(response, method, functools.partial(_cross_account, param=param, action=action, kind=kind))
