"""Resolve which model package version a stage should run.

`CandidatePolicy` is the hook for the promotion contract: the first stage takes the newest Approved
version (`NewestApproved`); later stages pass a policy that asks the ledger whether the previous stage
verified a version (filled in by the promotion work). Policies see only versions that are Approved now.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from deployer.config import RegistrySettings
from deployer.errors import InputError, NothingToDeployError, aws_call, error_code, error_message
from deployer.sessions import Client, role_label

log = logging.getLogger(__name__)

APPROVED = "Approved"
REJECTED = "Rejected"


@dataclass(frozen=True)
class ModelVersion:
    arn: str
    version: int
    status: str
    created: datetime | None = None

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> ModelVersion:
        return cls(
            arn=str(summary["ModelPackageArn"]),
            version=int(summary.get("ModelPackageVersion") or summary["ModelPackageArn"].rsplit("/", 1)[-1]),
            status=str(summary.get("ModelApprovalStatus", "")),
            created=summary.get("CreationTime"),
        )


class CandidatePolicy(Protocol):
    """Which Approved versions a stage may deploy. `describe` names the rule in messages."""

    def describe(self) -> str: ...

    def eligible(self, version: ModelVersion) -> bool: ...


class NewestApproved:
    """First stage: any Approved version is eligible; the newest wins."""

    def describe(self) -> str:
        return "newest Approved version"

    def eligible(self, version: ModelVersion) -> bool:
        return version.status == APPROVED


@dataclass(frozen=True)
class RegistryReader:
    """The registry as seen through one client (the registry role's, or the current credentials')."""

    client: Client
    settings: RegistrySettings
    account: str
    role: str

    def _action(self, name: str) -> Any:
        return aws_call(f"sagemaker:{name}", self.settings.account_id or self.account, role_label(self.role))

    def versions(self, status: str | None = None) -> Iterator[ModelVersion]:
        """Versions of the group, newest first (CreationTime descending), across every page."""
        kwargs: dict[str, Any] = {
            "ModelPackageGroupName": self.settings.group_arn,
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "MaxResults": 100,
        }
        if status:
            kwargs["ModelApprovalStatus"] = status
        while True:
            with self._action("ListModelPackages"):
                try:
                    page = self.client.list_model_packages(**kwargs)
                except ClientError as exc:
                    if error_code(exc) in ("ValidationException", "ResourceNotFound"):
                        raise InputError(
                            f"{self.settings.model_package_group}: cannot list the model package group: "
                            f"{error_message(exc)}"
                        ) from exc
                    raise
            for summary in page.get("ModelPackageSummaryList", []):
                yield ModelVersion.from_summary(summary)
            token = page.get("NextToken")
            if not token:
                return
            kwargs["NextToken"] = token

    def describe(self, arn: str) -> dict[str, Any] | None:
        with self._action("DescribeModelPackage"):
            try:
                return dict(self.client.describe_model_package(ModelPackageName=arn))
            except ClientError as exc:
                if error_code(exc) in ("ValidationException", "ResourceNotFound") and "not found" in (
                    error_message(exc).lower()
                ):
                    return None
                raise

    def group_exists(self) -> bool | None:
        """True or False when the registry says so; None when it cannot tell (e.g. describe is not allowed)."""
        try:
            same_account = self.account == self.settings.account_id
            group = self.settings.group_name if same_account else self.settings.group_arn
            self.client.describe_model_package_group(ModelPackageGroupName=group)
        except ClientError as exc:
            if error_code(exc) in ("ValidationException", "ResourceNotFound") and "not" in error_message(exc).lower():
                return False
            log.debug("DescribeModelPackageGroup: %s", exc)
            return None
        return True

    def find(self, version: int) -> ModelVersion | None:
        for candidate in self.versions():
            if candidate.version == version:
                return candidate
        return None

    def status_of(self, arn: str) -> str:
        described = self.describe(arn)
        return str(described.get("ModelApprovalStatus", "")) if described else ""


def resolve_candidate(
    reader: RegistryReader, policy: CandidatePolicy, *, pinned: int | None = None, force: bool = False
) -> ModelVersion:
    """The version to deploy: `pinned` if given (must exist, and be Approved unless `force`), else the newest
    Approved version that `policy` accepts."""
    group = reader.settings.model_package_group
    if pinned is not None:
        found = reader.find(pinned)
        if found is None and reader.group_exists() is False:
            raise InputError(f"registry.model_package_group: {group} does not exist (allowed: an existing group)")
        if found is None:
            raise InputError(f"--model-version {pinned}: no such version in model package group {group}")
        if found.status != APPROVED and not force:
            raise InputError(
                f"--model-version {pinned}: version is {found.status or 'without status'}, not Approved "
                "(pass --force to deploy it anyway)"
            )
        if found.status == APPROVED and not policy.eligible(found) and not force:
            raise InputError(f"--model-version {pinned}: not eligible: {policy.describe()} (pass --force to override)")
        return found
    for version in reader.versions(APPROVED):
        if policy.eligible(version):
            return version
        log.info("version %d is Approved but not eligible: %s", version.version, policy.describe())
    if reader.group_exists() is False:
        raise InputError(f"registry.model_package_group: {group} does not exist (allowed: an existing group)")
    raise NothingToDeployError(f"nothing to deploy: no {policy.describe()} in model package group {group}")
