"""SageMaker Model Registry as AWS runs it: group policies, cross-account reads, merges, events.

Adds Put/Get/DeleteModelPackageGroupPolicy, DeleteModelPackageGroup and DeleteModelPackage; honours
the group's resource policy when another account describes, lists or updates packages; merges
CustomerMetadataProperties on update instead of replacing them (and keeps fields the update leaves out);
never reuses a version number; answers ListTags/AddTags/DeleteTags on package ARNs; fails a lookup of a
missing package with AWS's "ModelPackage <arn> does not exist."; and puts the "SageMaker Model Package State
Change" event on the owner's default bus when a package is created or updated in any way.

The backend side lives in `_registry_store` (lookups, policies, deletes) and `_registry_versions` (version
numbers, merged updates, events); this module answers the new actions and routes cross-account requests.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from sandbox.ext import _patch
from sandbox.ext._registry_store import (
    SAGEMAKER_ARN,
    delete_model_package,
    delete_model_package_group,
    delete_model_package_group_policy,
    describe_model_package,
    get_model_package_group_policy,
    put_model_package_group_policy,
)
from sandbox.ext._registry_versions import (
    create_model_package,
    create_model_package_group,
    resource_from_arn,
    update_model_package,
)

log = logging.getLogger(__name__)


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
    match = SAGEMAKER_ARN.match(value or "")
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
    for replacement in (create_model_package_group, create_model_package, update_model_package, describe_model_package):
        _patch.replace(backend, replacement.__name__, replacement)
    _patch.replace(backend, "_get_resource_from_arn", resource_from_arn)

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
