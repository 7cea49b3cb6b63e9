"""Resolve which model package version a stage should run.

`CandidatePolicy` is the hook for the promotion contract: the first stage takes the newest Approved
version (`NewestApproved`); later stages take the newest Approved version that the previous stage verified
(`VerifiedUpstream`, fed from the ledger). `NotRolledBack` keeps a stage off versions it was rolled back
from. Policies see only versions that are Approved now; every other version is passed over with its status.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from deployer.aws_errors import error_code, error_message, is_not_found
from deployer.config import RegistrySettings
from deployer.errors import InputError, NothingToDeployError, aws_call
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


@dataclass(frozen=True)
class Verdict:
    """Whether a policy accepts an Approved version, and why (shown by `plan`)."""

    eligible: bool
    reason: str


class CandidatePolicy(Protocol):
    """Which Approved versions a stage may deploy. `describe` names the rule in messages ("Approved version
    verified in staging"); `judge` is asked about Approved versions only, newest first."""

    def describe(self) -> str: ...

    def judge(self, version: ModelVersion) -> Verdict: ...


class NewestApproved:
    """First stage: any Approved version is eligible; the newest wins."""

    def describe(self) -> str:
        return "Approved version"

    def judge(self, version: ModelVersion) -> Verdict:
        return Verdict(True, f"v{version.version} is Approved")


class VerifiedUpstream:
    """Later stages: an Approved version is eligible when the previous stage verified exactly its model package.

    A mark vouches for one model package ARN, never for a bare version number: a group that was switched or
    re-created has a new package under an old version number, and the old mark must not vouch for it.
    """

    def __init__(self, previous_stage: str, verified: Mapping[int, str], packages: Mapping[int, str]) -> None:
        self.previous_stage = previous_stage
        self.verified = dict(verified)  # version -> when it was verified
        self.packages = dict(packages)  # version -> the model package ARN the mark vouches for

    def describe(self) -> str:
        return f"Approved version verified in {self.previous_stage}"

    def judge(self, version: ModelVersion) -> Verdict:
        at = self.verified.get(version.version)
        if at is None:
            return Verdict(False, f"v{version.version} is Approved but not verified in {self.previous_stage}")
        vouched = self.packages.get(version.version, "")
        if vouched.lower() != version.arn.lower():
            return Verdict(
                False,
                f"v{version.version} is Approved but {self.previous_stage} verified a different model package "
                f"({vouched or 'no package recorded'}, not {version.arn})",
            )
        return Verdict(True, f"v{version.version} is Approved and was verified in {self.previous_stage} at {at}")


class NotRolledBack:
    """Wraps a policy: versions this stage was rolled back away from are not picked again automatically.

    An operator who wants one back pins it (`deploy --model-version N --force`); a successful deploy of a
    version clears its rolled-back mark in that stage.
    """

    def __init__(self, base: CandidatePolicy, stage: str, rolled_back: Mapping[int, str]) -> None:
        self.base = base
        self.stage = stage
        self.rolled_back = dict(rolled_back)  # version -> "at <time>: <reason>"

    def describe(self) -> str:
        return f"{self.base.describe()} that {self.stage} was not rolled back from"

    def judge(self, version: ModelVersion) -> Verdict:
        why = self.rolled_back.get(version.version)
        if why is not None:
            return Verdict(False, f"v{version.version} is Approved but {self.stage} was rolled back from it {why}")
        return self.base.judge(version)


@dataclass(frozen=True)
class Resolution:
    """The chosen version, why, and why each newer version was passed over."""

    candidate: ModelVersion
    reason: str
    passed_over: tuple[str, ...] = ()


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
                # AWS: ValidationException "ModelPackage <arn> does not exist." (a deleted version).
                if is_not_found(exc):
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


MAX_REASONS = 10


def resolve_candidate(
    reader: RegistryReader, policy: CandidatePolicy, *, pinned: int | None = None, force: bool = False
) -> Resolution:
    """The version to deploy: `pinned` if given (must exist, and be Approved and eligible unless `force`), else
    the newest Approved version that `policy` accepts. Raises NothingToDeployError listing why none qualifies."""
    group = reader.settings.model_package_group
    if pinned is not None:
        found = reader.find(pinned)
        if found is None and reader.group_exists() is False:
            raise InputError(f"registry.model_package_group: {group} does not exist (allowed: an existing group)")
        if found is None:
            raise InputError(f"--model-version {pinned}: no such version in model package group {group}")
        if found.status != APPROVED:
            if not force:
                raise InputError(
                    f"--model-version {pinned}: version is {found.status or 'without status'}, not Approved "
                    "(pass --force to deploy it anyway)"
                )
            return Resolution(found, f"pinned with --force: v{pinned} is {found.status or 'without approval status'}")
        verdict = policy.judge(found)
        if not verdict.eligible:
            if not force:
                raise InputError(f"--model-version {pinned}: not eligible: {verdict.reason} (pass --force to override)")
            return Resolution(found, f"pinned with --force: {verdict.reason}")
        return Resolution(found, f"pinned by the operator: {verdict.reason}")
    passed_over: list[str] = []
    for version in reader.versions():
        if version.status != APPROVED:
            passed_over.append(f"v{version.version} is {version.status or 'without approval status'}")
            continue
        verdict = policy.judge(version)
        if verdict.eligible:
            return Resolution(version, f"{verdict.reason}: the newest {policy.describe()}", tuple(passed_over))
        log.info("passed over: %s", verdict.reason)
        passed_over.append(verdict.reason)
    if reader.group_exists() is False:
        raise InputError(f"registry.model_package_group: {group} does not exist (allowed: an existing group)")
    detail = "; ".join(passed_over[:MAX_REASONS])
    if len(passed_over) > MAX_REASONS:
        detail += f"; and {len(passed_over) - MAX_REASONS} older version(s)"
    message = f"nothing to deploy: no {policy.describe()} in model package group {group}"
    raise NothingToDeployError(f"{message} ({detail})" if detail else f"{message} (the group has no versions)")
