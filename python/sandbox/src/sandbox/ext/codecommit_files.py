"""CodeCommit file and commit APIs on an in-memory git object model, plus the repository state events.

moto stores repositories but no content. Each repository here gets git-style objects (blob, tree and
commit ids are real git SHA-1s of the content, `_codecommit_git`) kept on moto's repository object, so
DeleteRepository and /moto-api/reset drop them. The writes (`_codecommit_writes`) put the "CodeCommit
Repository State Change" event on the account's default bus, as CodeCommit does, so EventBridge rules can
start pipelines. This module answers the reads and installs every handler.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from moto.codecommit.models import codecommit_backends
from moto.codecommit.responses import CodeCommitResponse

from sandbox.ext import _patch
from sandbox.ext._codecommit_checks import branch_name, file_path, folder_path, repository
from sandbox.ext._codecommit_git import COMMIT_ID, MODES, CodeCommitError, resolve, store_of
from sandbox.ext._codecommit_writes import create_branch, create_commit, put_file, update_default_branch

log = logging.getLogger(__name__)


def branch_head(account: str, region: str, repository: str, branch: str) -> tuple[str, str] | None:
    """(commit id, message) at the tip of a branch, for CodePipeline source actions; None when absent."""
    repo = codecommit_backends[account][region].repositories.get(repository)
    if repo is None:
        return None
    store = store_of(repo)
    commit_id = store.branches.get(branch)
    return (commit_id, store.commits[commit_id].message) if commit_id else None


def get_file(self: CodeCommitResponse) -> str:
    repo = repository(self.codecommit_backend, _patch.param(self, "repositoryName"))
    store = store_of(repo)
    path = file_path(_patch.param(self, "filePath"))
    commit = resolve(store, repo, _patch.param(self, "commitSpecifier"))
    if path not in commit.files:
        raise CodeCommitError(
            "FileDoesNotExistException", f"The file {path} does not exist in commit {commit.commit_id}."
        )
    blob, mode = commit.files[path]
    content = store.blobs[blob]
    return json.dumps(
        {
            "commitId": commit.commit_id,
            "blobId": blob,
            "filePath": path,
            "fileMode": mode,
            "fileSize": len(content),
            "fileContent": base64.b64encode(content).decode(),
        }
    )


def get_folder(self: CodeCommitResponse) -> str:
    repo = repository(self.codecommit_backend, _patch.param(self, "repositoryName"))
    raw = _patch.param(self, "folderPath")
    folder = folder_path(raw)
    commit = resolve(store_of(repo), repo, _patch.param(self, "commitSpecifier"))
    if folder not in commit.trees:
        raise CodeCommitError(
            "FolderDoesNotExistException", f"The folder {raw} does not exist in commit {commit.commit_id}."
        )
    prefix = f"{folder}/" if folder else ""

    def direct(path: str) -> bool:
        return path.startswith(prefix) and "/" not in path[len(prefix) :]

    files: list[dict[str, str]] = []
    links: list[dict[str, str]] = []
    for path, (blob, mode) in sorted(commit.files.items()):
        if direct(path):
            item = {"blobId": blob, "absolutePath": path, "relativePath": path[len(prefix) :], "fileMode": mode}
            (links if mode == "SYMLINK" else files).append(item)
    sub_folders = [
        {"treeId": tree, "absolutePath": path, "relativePath": path[len(prefix) :]}
        for path, tree in sorted(commit.trees.items())
        if path and direct(path)
    ]
    return json.dumps(
        {
            "commitId": commit.commit_id,
            "folderPath": raw,
            "treeId": commit.trees[folder],
            "subFolders": sub_folders,
            "files": files,
            "symbolicLinks": links,
            "subModules": [],
        }
    )


def get_branch(self: CodeCommitResponse) -> str:
    repo = repository(self.codecommit_backend, _patch.param(self, "repositoryName"))
    branch = branch_name(_patch.param(self, "branchName"))
    commit_id = store_of(repo).branches.get(branch)
    if commit_id is None:
        raise CodeCommitError("BranchDoesNotExistException", f"Could not find branch {branch}")
    return json.dumps({"branch": {"branchName": branch, "commitId": commit_id}})


def list_branches(self: CodeCommitResponse) -> str:
    repo = repository(self.codecommit_backend, _patch.param(self, "repositoryName"))
    return json.dumps({"branches": sorted(store_of(repo).branches)})


def get_commit(self: CodeCommitResponse) -> str:
    repo = repository(self.codecommit_backend, _patch.param(self, "repositoryName"))
    commit_id = _patch.param(self, "commitId")
    if not commit_id:
        raise CodeCommitError("CommitIdRequiredException", "A commit ID is required but was not specified.")
    if not COMMIT_ID.match(commit_id):
        raise CodeCommitError("InvalidCommitIdException", f"The commit ID {commit_id} is not valid.")
    commit = store_of(repo).commits.get(commit_id)
    if commit is None:
        raise CodeCommitError("CommitIdDoesNotExistException", f"Could not find commit {commit_id}")
    return json.dumps(
        {
            "commit": {
                "commitId": commit.commit_id,
                "treeId": commit.tree_id,
                "parents": commit.parents,
                "message": commit.message,
                "author": commit.author,
                "committer": commit.author,
                "additionalData": "",
            }
        }
    )


def get_blob(self: CodeCommitResponse) -> str:
    repo = repository(self.codecommit_backend, _patch.param(self, "repositoryName"))
    blob_id = _patch.param(self, "blobId")
    if not blob_id:
        raise CodeCommitError("BlobIdRequiredException", "A blob ID is required but was not specified.")
    content = store_of(repo).blobs.get(blob_id)
    if content is None:
        raise CodeCommitError("BlobIdDoesNotExistException", f"Could not find blob {blob_id}")
    return json.dumps({"content": base64.b64encode(content).decode()})


def get_differences(self: CodeCommitResponse) -> str:
    repo = repository(self.codecommit_backend, _patch.param(self, "repositoryName"))
    store = store_of(repo)
    after_spec = _patch.param(self, "afterCommitSpecifier")
    if not after_spec:
        raise CodeCommitError("CommitRequiredException", "A commit specifier is required but was not specified.")
    after = resolve(store, repo, after_spec).files
    before_spec = _patch.param(self, "beforeCommitSpecifier")
    before = resolve(store, repo, before_spec).files if before_spec else {}
    differences = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        diff: dict[str, Any] = {"changeType": "A" if old is None else "D" if new is None else "M"}
        if old is not None:
            diff["beforeBlob"] = {"blobId": old[0], "path": path, "mode": MODES[old[1]]}
        if new is not None:
            diff["afterBlob"] = {"blobId": new[0], "path": path, "mode": MODES[new[1]]}
        differences.append(diff)
    return json.dumps({"differences": differences})


def apply() -> None:
    response = CodeCommitResponse
    for handler in (
        put_file,
        create_commit,
        get_file,
        get_folder,
        get_branch,
        list_branches,
        create_branch,
        update_default_branch,
        get_commit,
        get_blob,
        get_differences,
    ):
        _patch.add(response, handler.__name__, handler)
