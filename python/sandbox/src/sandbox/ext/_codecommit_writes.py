"""CodeCommit's writes (PutFile, CreateCommit, CreateBranch, UpdateDefaultBranch) and the events they put.

Every branch move puts the "CodeCommit Repository State Change" event (referenceCreated / referenceUpdated)
on the account's default bus, as CodeCommit does, so EventBridge rules can start pipelines.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from moto.codecommit.models import CodeCommit, CodeCommitBackend
from moto.codecommit.responses import CodeCommitResponse

from sandbox.ext import _bus, _patch, _policy
from sandbox.ext._codecommit_checks import (
    branch_name,
    check_conflicts,
    existing_file,
    file_content,
    file_mode,
    file_path,
    parent_commit,
    repository,
)
from sandbox.ext._codecommit_git import CodeCommitError, Files, git_hash, make_commit, store_of

log = logging.getLogger(__name__)

DETAIL_TYPE = "CodeCommit Repository State Change"


def _caller(response: CodeCommitResponse) -> str:
    return _policy.caller_for(response.current_account, response.get_access_key(), response.region).arn


def _author(response: CodeCommitResponse, name: str | None, email: str | None) -> tuple[str, str]:
    caller = _caller(response)
    return name or caller.rsplit("/", 1)[-1], email or ""


def _move_branch(backend: CodeCommitBackend, repo: CodeCommit, branch: str, commit_id: str, caller: str) -> None:
    store = store_of(repo)
    old = store.branches.get(branch)
    store.branches[branch] = commit_id
    metadata = repo.repository_metadata
    if not metadata.get("defaultBranch"):
        # CodeCommit makes the first branch the default one.
        metadata["defaultBranch"] = branch
    detail: dict[str, Any] = {
        "callerUserArn": caller,
        "commitId": commit_id,
        "event": "referenceCreated" if old is None else "referenceUpdated",
        "referenceFullName": f"refs/heads/{branch}",
        "referenceName": branch,
        "referenceType": "branch",
        "repositoryId": metadata["repositoryId"],
        "repositoryName": metadata["repositoryName"],
    }
    if old is not None:
        detail["oldCommitId"] = old
    _bus.emit(backend.account_id, backend.region_name, "aws.codecommit", DETAIL_TYPE, detail, [metadata["Arn"]])


def put_file(self: CodeCommitResponse) -> str:
    backend = self.codecommit_backend
    repo = repository(backend, _patch.param(self, "repositoryName"))
    store = store_of(repo)
    branch = _patch.param(self, "branchName")
    parent = parent_commit(store, branch, _patch.param(self, "parentCommitId"))
    path = file_path(_patch.param(self, "filePath"))
    content = file_content(_patch.param(self, "fileContent"))
    if not content:
        raise CodeCommitError("FileContentRequiredException", "The file cannot be added because it is empty.")
    mode = file_mode(_patch.param(self, "fileMode"))
    files = dict(parent.files) if parent else {}
    blob = git_hash("blob", content)
    if files.get(path) == (blob, mode):
        raise CodeCommitError(
            "SameFileContentException",
            "The file could not be added because the provided file already exists with the same content.",
        )
    check_conflicts(files, path)
    store.blobs[blob] = content
    files[path] = (blob, mode)
    name, email = _author(self, _patch.param(self, "name"), _patch.param(self, "email"))
    message = _patch.param(self, "commitMessage") or f"Added {path}"
    commit = make_commit(store, files, [parent.commit_id] if parent else [], message, name, email)
    _move_branch(backend, repo, branch, commit.commit_id, _caller(self))
    return json.dumps({"commitId": commit.commit_id, "blobId": blob, "treeId": commit.tree_id})


class _Edit:
    """The file listing a CreateCommit builds, entry by entry; each path may appear in one entry only."""

    def __init__(self, before: Files) -> None:
        self.before = before
        self.files = dict(before)
        self.new_blobs: dict[str, bytes] = {}
        self._seen: set[str] = set()

    def claim(self, raw: str | None) -> str:
        path = file_path(raw)
        if path in self._seen:
            raise CodeCommitError(
                "PutFileEntryConflictException",
                f"The commit cannot be created because {path} appears in more than one entry.",
            )
        self._seen.add(path)
        return path

    def delete(self, entry: dict[str, Any]) -> None:
        path = self.claim(entry.get("filePath"))
        existing_file(self.files, path)
        del self.files[path]

    def put(self, entry: dict[str, Any]) -> None:
        path = self.claim(entry.get("filePath"))
        source = entry.get("sourceFile")
        if entry.get("fileContent") is not None and source:
            raise CodeCommitError(
                "FileContentAndSourceFileSpecifiedException",
                f"Specify either fileContent or sourceFile for {path}, not both.",
            )
        if source:
            blob, mode = self._copy(entry, source)
        elif entry.get("fileContent") is not None:
            content = file_content(entry.get("fileContent"))
            blob = git_hash("blob", content)
            self.new_blobs[blob] = content
            mode = file_mode(entry.get("fileMode"))
        else:
            raise CodeCommitError(
                "SourceFileOrContentRequiredException", f"Either fileContent or sourceFile is required for {path}."
            )
        check_conflicts({k: v for k, v in self.files.items() if k != path}, path)
        self.files[path] = (blob, mode)

    def _copy(self, entry: dict[str, Any], source: dict[str, Any]) -> tuple[str, str]:
        """A put of an existing file (as it was before the commit), moved when the source says so."""
        source_path = file_path(source.get("filePath"))
        blob, source_mode = existing_file(self.before, source_path)
        mode = file_mode(entry.get("fileMode") or source_mode)
        if source.get("isMove"):
            self.files.pop(source_path, None)
        return blob, mode

    def set_mode(self, entry: dict[str, Any]) -> None:
        path = self.claim(entry.get("filePath"))
        blob, _ = existing_file(self.files, path)
        self.files[path] = (blob, file_mode(entry.get("fileMode")))

    def changes(self) -> dict[str, list[dict[str, str]]]:
        before, files = self.before, self.files

        def entry(path: str, blob: str, mode: str) -> dict[str, str]:
            return {"absolutePath": path, "blobId": blob, "fileMode": mode}

        return {
            "filesAdded": [entry(p, b, m) for p, (b, m) in sorted(files.items()) if p not in before],
            "filesUpdated": [
                entry(p, b, m) for p, (b, m) in sorted(files.items()) if p in before and before[p] != (b, m)
            ],
            "filesDeleted": [entry(p, b, m) for p, (b, m) in sorted(before.items()) if p not in files],
        }


def create_commit(self: CodeCommitResponse) -> str:
    backend = self.codecommit_backend
    repo = repository(backend, _patch.param(self, "repositoryName"))
    store = store_of(repo)
    branch = _patch.param(self, "branchName")
    parent = parent_commit(store, branch, _patch.param(self, "parentCommitId"))
    edit = _Edit(dict(parent.files) if parent else {})
    puts = _patch.param(self, "putFiles") or []
    deletes = _patch.param(self, "deleteFiles") or []
    modes = _patch.param(self, "setFileModes") or []
    if not (puts or deletes or modes):
        raise CodeCommitError(
            "FileEntryRequiredException", "The commit cannot be created because no files were specified."
        )
    for entry in deletes:
        edit.delete(entry)
    for entry in puts:
        edit.put(entry)
    for entry in modes:
        edit.set_mode(entry)
    if parent is not None and edit.files == edit.before:
        raise CodeCommitError(
            "NoChangeException", "The commit cannot be created because no changes will be made to the repository."
        )
    store.blobs.update(edit.new_blobs)
    name, email = _author(self, _patch.param(self, "authorName"), _patch.param(self, "email"))
    message = _patch.param(self, "commitMessage") or ""
    commit = make_commit(store, edit.files, [parent.commit_id] if parent else [], message, name, email)
    _move_branch(backend, repo, branch, commit.commit_id, _caller(self))
    return json.dumps({"commitId": commit.commit_id, "treeId": commit.tree_id, **edit.changes()})


def create_branch(self: CodeCommitResponse) -> str:
    backend = self.codecommit_backend
    repo = repository(backend, _patch.param(self, "repositoryName"))
    store = store_of(repo)
    branch = _patch.param(self, "branchName")
    commit_id = _patch.param(self, "commitId")
    branch = branch_name(branch)
    if not commit_id:
        raise CodeCommitError("CommitIdRequiredException", "A commit ID is required but was not specified.")
    if branch in store.branches:
        raise CodeCommitError("BranchNameExistsException", f"Branch {branch} already exists")
    if commit_id not in store.commits:
        raise CodeCommitError("CommitDoesNotExistException", f"Could not find commit {commit_id}")
    _move_branch(backend, repo, branch, commit_id, _caller(self))
    return "{}"


def update_default_branch(self: CodeCommitResponse) -> str:
    repo = repository(self.codecommit_backend, _patch.param(self, "repositoryName"))
    branch = branch_name(_patch.param(self, "defaultBranchName"))
    if branch not in store_of(repo).branches:
        raise CodeCommitError("BranchDoesNotExistException", f"Could not find branch {branch}")
    repo.repository_metadata["defaultBranch"] = branch
    return "{}"
