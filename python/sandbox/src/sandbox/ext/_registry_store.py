"""Model Registry groups and packages in moto's SageMaker backend: lookups, group policies and deletes."""

from __future__ import annotations

import json
import logging
import re

from moto.sagemaker.exceptions import ConflictException, ValidationError
from moto.sagemaker.models import ModelPackage, ModelPackageGroup, SageMakerModelBackend

log = logging.getLogger(__name__)

SAGEMAKER_ARN = re.compile(r"^arn:[\w-]+:sagemaker:([a-z0-9-]+):(\d{12}):([a-z-]+)/(.+)$")


def find_group(backend: SageMakerModelBackend, name_or_arn: str) -> ModelPackageGroup:
    name = name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
    group = backend.model_package_groups.get(name)
    if group is None:
        arn = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:model-package-group/{name}"
        raise ValidationError(f"ModelPackageGroup {arn} does not exist.")
    return group


def find_package(backend: SageMakerModelBackend, name_or_arn: str) -> ModelPackage:
    key = backend.model_package_name_mapping.get(name_or_arn, name_or_arn)
    package = backend.model_packages.get(key) or backend.model_packages.get(key.lower())
    if package is None:
        raise ValidationError(f"ModelPackage {_package_arn(backend, name_or_arn)} does not exist.")
    return package


def _package_arn(backend: SageMakerModelBackend, name_or_arn: str) -> str:
    """AWS names the missing package by ARN in its error, even when the request gave a name."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    return f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:model-package/{name_or_arn.lower()}"


def describe_model_package(self: SageMakerModelBackend, model_package_name: str) -> ModelPackage:
    """moto's lookup, failing with AWS's message ("ModelPackage <arn> does not exist.")."""
    return find_package(self, model_package_name)


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
    group = find_group(self, name_or_arn)
    versions = [p for p in self.model_packages.values() if p.model_package_group_name == group.model_package_group_name]
    if versions:
        raise ConflictException(
            f"Model Package Group {group.arn} cannot be deleted because it contains {len(versions)} model "
            "package(s). Delete the model packages first."
        )
    del self.model_package_groups[group.model_package_group_name]


def delete_model_package(self: SageMakerModelBackend, name_or_arn: str) -> None:
    package = find_package(self, name_or_arn)
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
