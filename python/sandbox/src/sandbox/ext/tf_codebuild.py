"""CodeBuild projects as AWS keeps them, so `aws_codebuild_project` applies and re-plans clean.

Stock moto demands a source/artifacts location even for CODEPIPELINE and NO_SOURCE, has no
UpdateProject, always reports `alias/aws/s3` as the encryption key, and drops fields it does not
model (badge, concurrency, batch config, file systems, secondary sources). Here CreateProject
validates as AWS does and keeps every field the caller set, with AWS's defaults for the rest;
UpdateProject merges the fields it is given. A vpcConfig must name its VPC, 1-16 subnets and 1-5 security
groups (AWS's model); the network interfaces CodeBuild would create in them are not modelled.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from moto.codebuild.exceptions import InvalidInputException, ResourceAlreadyExistsException, ResourceNotFoundException
from moto.codebuild.models import CodeBuild, CodeBuildBackend
from moto.codebuild.responses import CodeBuildResponse
from moto.core.responses import ActionResult
from moto.core.utils import unix_time
from moto.utilities.utils import get_partition

from sandbox.ext import _patch

log = logging.getLogger(__name__)

SOURCE_TYPES = ("BITBUCKET", "CODECOMMIT", "CODEPIPELINE", "GITHUB", "GITHUB_ENTERPRISE", "GITLAB",
                "GITLAB_SELF_MANAGED", "NO_SOURCE", "S3")  # fmt: skip
# AWS needs a location only where it must fetch something itself.
SOURCE_TYPES_WITHOUT_LOCATION = ("CODEPIPELINE", "NO_SOURCE")
ARTIFACT_TYPES = ("CODEPIPELINE", "S3", "NO_ARTIFACTS")
ENVIRONMENT_TYPES = ("WINDOWS_CONTAINER", "LINUX_CONTAINER", "LINUX_GPU_CONTAINER", "ARM_CONTAINER",
                     "WINDOWS_SERVER_2019_CONTAINER", "WINDOWS_SERVER_2022_CONTAINER", "LINUX_LAMBDA_CONTAINER",
                     "ARM_LAMBDA_CONTAINER", "LINUX_EC2", "ARM_EC2", "WINDOWS_EC2", "MAC_ARM")  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$")

# Request fields stored as given (the request and response shapes share these names).
_STORED_FIELDS = ("description", "source", "secondarySources", "sourceVersion", "secondarySourceVersions",
                  "artifacts", "secondaryArtifacts", "cache", "environment", "serviceRole", "timeoutInMinutes",
                  "queuedTimeoutInMinutes", "encryptionKey", "tags", "vpcConfig", "logsConfig", "fileSystemLocations",
                  "buildBatchConfig", "concurrentBuildLimit", "autoRetryLimit")  # fmt: skip


def _validate_source(source: dict[str, Any] | None, label: str = "source") -> None:
    if not source or source.get("type") not in SOURCE_TYPES:
        raise InvalidInputException(f"Invalid type provided: Project {label} type")
    if source["type"] not in SOURCE_TYPES_WITHOUT_LOCATION and not source.get("location"):
        raise InvalidInputException(f"Project {label} location is required")
    if source["type"] == "NO_SOURCE" and not source.get("buildspec"):
        raise InvalidInputException("Invalid source: buildspec is required for source type NO_SOURCE")


def _validate_artifacts(artifacts: dict[str, Any] | None) -> None:
    if not artifacts or artifacts.get("type") not in ARTIFACT_TYPES:
        raise InvalidInputException("Invalid type provided: Artifact type")
    if artifacts["type"] == "NO_ARTIFACTS" and "location" in artifacts:
        raise InvalidInputException("Invalid artifacts: artifact type NO_ARTIFACTS should have null location")
    if artifacts["type"] == "S3" and not artifacts.get("location"):
        raise InvalidInputException("Project artifacts location is required")


def _validate_pairing(source: dict[str, Any], artifacts: dict[str, Any]) -> None:
    # AWS: CODEPIPELINE on one side requires it on the other.
    if (source["type"] == "CODEPIPELINE") != (artifacts["type"] == "CODEPIPELINE"):
        raise InvalidInputException(
            "Invalid input: source type CODEPIPELINE and artifacts type CODEPIPELINE must be used together"
        )


def _validate_environment(environment: dict[str, Any] | None) -> None:
    if not environment or environment.get("type") not in ENVIRONMENT_TYPES:
        raise InvalidInputException(f"Invalid type provided: {(environment or {}).get('type')}")
    if not environment.get("image"):
        raise InvalidInputException("Invalid environment: image is required")
    if not str(environment.get("computeType", "")).startswith(("BUILD_GENERAL1_", "BUILD_LAMBDA_", "ATTRIBUTE_BASED")):
        raise InvalidInputException(f"Invalid compute type provided: {environment.get('computeType')}")


def _validate_vpc(vpc: dict[str, Any] | None) -> None:
    """CodeBuild needs all three of vpcId, subnets and securityGroupIds (the message wording is ours)."""
    if vpc is None:
        return
    subnets, groups = vpc.get("subnets") or [], vpc.get("securityGroupIds") or []
    if not vpc.get("vpcId") or not subnets or not groups:
        raise InvalidInputException("Invalid vpc config: vpcId, subnets and securityGroupIds are all required")
    if len(subnets) > 16 or len(groups) > 5:
        raise InvalidInputException("Invalid vpc config: at most 16 subnets and 5 security groups")


def _validate_role(account_id: str, region: str, role: str | None) -> None:
    if not role or not role.startswith(f"arn:{get_partition(region)}:iam::{account_id}:role/"):
        raise InvalidInputException("Invalid service role: Service role account ID does not match caller's account")


def _with_defaults(fields: dict[str, Any]) -> dict[str, Any]:
    """Fill what AWS fills when the caller leaves it out."""
    env = fields.get("environment")
    if env is not None:
        env.setdefault("privilegedMode", False)
        env.setdefault("imagePullCredentialsType", "CODEBUILD")
        env.setdefault("environmentVariables", [])
        for variable in env["environmentVariables"]:
            variable.setdefault("type", "PLAINTEXT")
    for key in ("source", "secondarySources"):
        sources = fields.get(key)
        for source in sources if isinstance(sources, list) else [sources] if sources else []:
            source.setdefault("insecureSsl", False)
    return fields


class _Fields:
    """The request's project fields, deep-copied so later mutation never leaks into the request."""

    def __init__(self, response: CodeBuildResponse) -> None:
        self.values: dict[str, Any] = {}
        for key in _STORED_FIELDS:
            value = _patch.param(response, key)
            if value is not None:
                self.values[key] = copy.deepcopy(value)
        self.badge_enabled = _patch.param(response, "badgeEnabled")


def _store(project: CodeBuild, fields: _Fields, region: str) -> None:
    meta = project.project_metadata
    meta.update(_with_defaults(fields.values))
    if "serviceRole" in fields.values:
        project.service_role = fields.values["serviceRole"]
    if "tags" in fields.values:
        project.tags = fields.values["tags"]
    if fields.badge_enabled is not None:
        meta["badge"] = {"badgeEnabled": bool(fields.badge_enabled)}
        if fields.badge_enabled:
            meta["badge"]["badgeRequestUrl"] = (
                f"https://codebuild.{region}.amazonaws.com/badges?uuid=sandbox&branch=main"
            )
    meta["lastModified"] = unix_time()


def _find(backend: CodeBuildBackend, name_or_arn: str) -> CodeBuild | None:
    project = backend.codebuild_projects.get(name_or_arn)
    if project is not None:
        return project
    return next((p for p in backend.codebuild_projects.values() if p.arn == name_or_arn), None)


def create_project(self: CodeBuildResponse) -> ActionResult:
    name = _patch.param(self, "name") or ""
    if not _NAME.match(name):
        raise InvalidInputException("Only alphanumeric characters, dash, and underscore are supported")
    source, artifacts = _patch.param(self, "source"), _patch.param(self, "artifacts")
    _validate_source(source)
    for extra in _patch.param(self, "secondarySources") or []:
        _validate_source(extra, "secondary source")
    _validate_artifacts(artifacts)
    _validate_pairing(source, artifacts)
    _validate_environment(_patch.param(self, "environment"))
    _validate_role(self.current_account, self.region, _patch.param(self, "serviceRole"))
    _validate_vpc(_patch.param(self, "vpcConfig"))
    backend = self.codebuild_backend
    if name in backend.codebuild_projects:
        raise ResourceAlreadyExistsException(
            f"Project already exists: arn:{get_partition(self.region)}:codebuild:{self.region}:"
            f"{self.current_account}:project/{name}"
        )
    fields = _Fields(self)
    backend.create_project(
        project_name=name,
        description=None,
        project_source=fields.values["source"],
        artifacts=fields.values["artifacts"],
        environment=fields.values["environment"],
        service_role=fields.values["serviceRole"],
        tags=None,
        cache=None,
        timeout=None,
        queued_timeout=None,
        source_version=None,
        logs_config=None,
        vpc_config=None,
    )
    project = backend.codebuild_projects[name]
    meta = project.project_metadata
    # AWS's defaults for what the caller left out.
    meta["timeoutInMinutes"] = 60
    meta["queuedTimeoutInMinutes"] = 480
    meta["tags"] = []
    meta["projectVisibility"] = "PRIVATE"
    meta["logsConfig"] = {
        "cloudWatchLogs": {"status": "ENABLED"},
        "s3Logs": {"status": "DISABLED", "encryptionDisabled": False},
    }
    _store(project, fields, self.region)
    log.debug("codebuild: created project %s", name)
    return ActionResult({"project": meta})


def update_project(self: CodeBuildResponse) -> ActionResult:
    name = _patch.param(self, "name") or ""
    project = _find(self.codebuild_backend, name)
    if project is None:
        raise ResourceNotFoundException(f"Project cannot be found: {name}")
    fields = _Fields(self)
    meta = project.project_metadata
    source = fields.values.get("source", meta["source"])
    artifacts = fields.values.get("artifacts", meta["artifacts"])
    if "source" in fields.values:
        _validate_source(source)
    if "artifacts" in fields.values:
        _validate_artifacts(artifacts)
    _validate_pairing(source, artifacts)
    if "environment" in fields.values:
        _validate_environment(fields.values["environment"])
    if "serviceRole" in fields.values:
        _validate_role(self.current_account, self.region, fields.values["serviceRole"])
    if "vpcConfig" in fields.values:
        _validate_vpc(fields.values["vpcConfig"])
    _store(project, fields, self.region)
    return ActionResult({"project": meta})


def apply() -> None:
    _patch.replace(CodeBuildResponse, "create_project", create_project)
    _patch.add(CodeBuildResponse, "update_project", update_project)
    log.debug("codebuild: CreateProject validation as AWS, UpdateProject, stored fields")
