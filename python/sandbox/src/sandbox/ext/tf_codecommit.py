"""CodeCommit as the aws provider reads it: epoch timestamps, tags, description updates.

Stock moto sends creationDate/lastModifiedDate as ISO text; AWS (JSON 1.1 protocol) sends epoch
numbers and the Go SDK refuses text. moto also lacks the tag operations and
UpdateRepositoryDescription, which `aws_codecommit_repository` calls on create, read and update.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from moto.codecommit.exceptions import RepositoryDoesNotExistException
from moto.codecommit.models import CodeCommit, CodeCommitBackend
from moto.codecommit.responses import CodeCommitResponse
from moto.core.exceptions import JsonRESTError

from sandbox.ext import _patch
from sandbox.ext.tf_util import rewrite_json_body

log = logging.getLogger(__name__)

_DATE_KEYS = ("creationDate", "lastModifiedDate")


class _InvalidResourceArn(JsonRESTError):  # type: ignore[misc]
    code = 400

    def __init__(self, arn: str) -> None:
        super().__init__("InvalidResourceArnException", f"The value for the resource ARN is not valid: {arn}")


class _RepositoryArnMissing(JsonRESTError):  # type: ignore[misc]
    code = 400

    def __init__(self, arn: str) -> None:
        super().__init__("RepositoryDoesNotExistException", f"Repository with ARN {arn} does not exist")


def _repo_tags(repo: CodeCommit) -> dict[str, str]:
    # Kept on the model object so /moto-api/reset wipes it with the repository.
    if not hasattr(repo, "sandbox_tags"):
        repo.sandbox_tags = {}
    tags: dict[str, str] = repo.sandbox_tags
    return tags


def _repo_by_arn(backend: CodeCommitBackend, arn: str) -> CodeCommit:
    if not arn or not arn.startswith("arn:"):
        raise _InvalidResourceArn(arn)
    for repo in backend.repositories.values():
        if repo.repository_metadata.get("Arn") == arn:
            return repo
    raise _RepositoryArnMissing(arn)


def _epoch_dates(method: Callable[[CodeCommitResponse], Any]) -> Callable[[CodeCommitResponse], Any]:
    def wrapper(self: CodeCommitResponse) -> Any:
        return rewrite_json_body(method(self), _DATE_KEYS)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _create_repository(original: Callable[[CodeCommitResponse], Any]) -> Callable[[CodeCommitResponse], Any]:
    def create_repository(self: CodeCommitResponse) -> Any:
        body = original(self)
        repo = self.codecommit_backend.repositories[_patch.param(self, "repositoryName")]
        tags = _patch.param(self, "tags") or {}
        _repo_tags(repo).update(tags)
        kms_key_id = _patch.param(self, "kmsKeyId")
        if kms_key_id:
            repo.repository_metadata["kmsKeyId"] = kms_key_id
        # The original body was built before kmsKeyId was set.
        return json.dumps({"repositoryMetadata": repo.repository_metadata}) if kms_key_id else body

    return create_repository


def tag_resource(self: CodeCommitResponse) -> str:
    repo = _repo_by_arn(self.codecommit_backend, _patch.param(self, "resourceArn"))
    _repo_tags(repo).update(_patch.param(self, "tags") or {})
    return "{}"


def untag_resource(self: CodeCommitResponse) -> str:
    repo = _repo_by_arn(self.codecommit_backend, _patch.param(self, "resourceArn"))
    tags = _repo_tags(repo)
    for key in _patch.param(self, "tagKeys") or []:
        tags.pop(key, None)
    return "{}"


def list_tags_for_resource(self: CodeCommitResponse) -> str:
    repo = _repo_by_arn(self.codecommit_backend, _patch.param(self, "resourceArn"))
    return json.dumps({"tags": dict(_repo_tags(repo))})


def update_repository_description(self: CodeCommitResponse) -> str:
    name = _patch.param(self, "repositoryName")
    repo = self.codecommit_backend.repositories.get(name)
    if repo is None:
        raise RepositoryDoesNotExistException(name)
    repo.repository_metadata["repositoryDescription"] = _patch.param(self, "repositoryDescription") or ""
    return "{}"


def apply() -> None:
    _patch.wrap(CodeCommitResponse, "create_repository", lambda original: _epoch_dates(_create_repository(original)))
    _patch.wrap(CodeCommitResponse, "get_repository", _epoch_dates)
    for handler in (tag_resource, untag_resource, list_tags_for_resource, update_repository_description):
        _patch.add(CodeCommitResponse, handler.__name__, handler)
    log.debug("codecommit: epoch dates, tags, UpdateRepositoryDescription")
