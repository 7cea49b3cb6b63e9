"""CodeCommit file and commit APIs on an in-memory git object model, plus the repository state events.

moto stores repositories but no content. Each repository here gets git-style objects (blob, tree and
commit ids are real git SHA-1s of the content) kept on moto's repository object, so DeleteRepository and
/moto-api/reset drop them. PutFile, CreateCommit and CreateBranch put the "CodeCommit Repository State
Change" event (referenceCreated / referenceUpdated) on the account's default bus, as CodeCommit does, so
EventBridge rules can start pipelines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from moto.codecommit.exceptions import RepositoryDoesNotExistException
from moto.codecommit.models import CodeCommit, CodeCommitBackend, codecommit_backends
from moto.codecommit.responses import CodeCommitResponse
from moto.core.exceptions import JsonRESTError

from sandbox.ext import _bus, _patch, _policy

log = logging.getLogger(__name__)

_COMMIT_ID = re.compile(r"^[0-9a-f]{40}$")
_MODES = {"NORMAL": "100644", "EXECUTABLE": "100755", "SYMLINK": "120000"}
DETAIL_TYPE = "CodeCommit Repository State Change"


class CodeCommitError(JsonRESTError):  # type: ignore[misc]
    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


@dataclass
class Commit:
    commit_id: str
    tree_id: str
    files: dict[str, tuple[str, str]]  # path -> (blob id, file mode)
    trees: dict[str, str]  # folder path ("" is the root) -> tree id
    parents: list[str]
    message: str
    author: dict[str, str]


@dataclass
class Store:
    blobs: dict[str, bytes] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)


# --- git objects ----------------------------------------------------------------------------------------


def _git_hash(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()


def _trees(files: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Git tree ids for every folder of a flat {path: (blob, mode)} listing."""
    children: dict[str, dict[str, tuple[str, str, bool]]] = {"": {}}
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            children.setdefault("/".join(parts[:depth]), {})
    ids: dict[str, str] = {}
    for folder in sorted(children, key=lambda f: f.count("/") if f else -1, reverse=True):
        entries: dict[str, tuple[str, str, bool]] = {}
        for path, (blob, mode) in files.items():
            parent, _, name = path.rpartition("/")
            if parent == folder:
                entries[name] = (_MODES[mode], blob, False)
        for sub, tree_id in ids.items():
            parent, _, name = sub.rpartition("/")
            if parent == folder and sub != folder:
                entries[name] = ("40000", tree_id, True)
        # git orders tree entries by name, with folders compared as if they ended in "/".
        body = b"".join(
            f"{mode} {name}\0".encode() + bytes.fromhex(obj)
            for name, (mode, obj, is_tree) in sorted(entries.items(), key=lambda e: e[0] + ("/" if e[1][2] else ""))
        )
        ids[folder] = _git_hash("tree", body)
    return ids


def _make_commit(
    store: Store, files: dict[str, tuple[str, str]], parents: list[str], message: str, name: str, email: str
) -> Commit:
    trees = _trees(files)
    stamp = f"{int(time.time())} +0000"
    lines = [f"tree {trees['']}"] + [f"parent {p}" for p in parents]
    lines += [f"author {name} <{email}> {stamp}", f"committer {name} <{email}> {stamp}", "", message]
    commit_id = _git_hash("commit", "\n".join(lines).encode())
    commit = Commit(
        commit_id, trees[""], dict(files), trees, parents, message, {"name": name, "email": email, "date": stamp}
    )
    store.commits[commit_id] = commit
    return commit


# --- lookups and validation -----------------------------------------------------------------------------


def _repo(backend: CodeCommitBackend, name: str | None) -> CodeCommit:
    if not name:
        raise CodeCommitError("RepositoryNameRequiredException", "A repository name is required but was not specified.")
    repo = backend.repositories.get(name)
    if repo is None:
        raise RepositoryDoesNotExistException(name)
    return repo


def _store(repo: CodeCommit) -> Store:
    if not hasattr(repo, "sandbox_git"):
        repo.sandbox_git = Store()
    store: Store = repo.sandbox_git
    return store


def _path(value: str | None, what: str = "file") -> str:
    if value is None or value.strip("/") == "":
        raise CodeCommitError("PathRequiredException", f"The {what} path is required but was not specified.")
    path = value.strip("/")
    if any(part in ("", ".", "..") for part in path.split("/")) or "\0" in path:
        raise CodeCommitError("InvalidPathException", f"The path {value} is not valid.")
    return path


def _folder(value: str | None) -> str:
    if value is None:
        raise CodeCommitError("PathRequiredException", "The folder path is required but was not specified.")
    return "" if value.strip("/") in ("", ".") else _path(value, "folder")


def _resolve(store: Store, repo: CodeCommit, specifier: str | None) -> Commit:
    """A commit from a branch name, a full commit id, or (when absent) the default branch."""
    spec = specifier or repo.repository_metadata.get("defaultBranch") or "HEAD"
    commit_id = store.branches.get(spec) or (spec if spec in store.commits else None)
    if spec == "HEAD" and store.branches:
        commit_id = store.branches[next(iter(store.branches))]
    if commit_id is None:
        raise CodeCommitError("CommitDoesNotExistException", f"Could not find commit {spec}")
    return store.commits[commit_id]


def _parent(store: Store, branch: str | None, parent_id: str | None) -> Commit | None:
    """The commit a new commit on `branch` builds on, with AWS's checks of parentCommitId."""
    if not branch:
        raise CodeCommitError("BranchNameRequiredException", "A branch name is required but was not specified.")
    if parent_id is not None and not _COMMIT_ID.match(parent_id):
        raise CodeCommitError("InvalidParentCommitIdException", f"The parent commit ID {parent_id} is not valid.")
    if not store.commits:
        if parent_id is not None:
            raise CodeCommitError(
                "ParentCommitDoesNotExistException", f"The parent commit ID {parent_id} does not exist."
            )
        return None
    head = store.branches.get(branch)
    if head is None:
        raise CodeCommitError("BranchDoesNotExistException", f"Could not find branch {branch}")
    if parent_id is None:
        raise CodeCommitError(
            "ParentCommitIdRequiredException",
            "A parent commit ID is required. To view the full commit ID of a branch in a repository, use GetBranch "
            "or a Git command (for example, git pull or git log).",
        )
    if parent_id not in store.commits:
        raise CodeCommitError("ParentCommitDoesNotExistException", f"The parent commit ID {parent_id} does not exist.")
    if parent_id != head:
        raise CodeCommitError(
            "ParentCommitIdOutdatedException",
            f"The parent commit ID {parent_id} is not the most recent commit on branch {branch} ({head}). "
            "Get the latest commit ID with GetBranch and try again.",
        )
    return store.commits[head]


def _mode(value: str | None) -> str:
    mode = value or "NORMAL"
    if mode not in _MODES:
        raise CodeCommitError("InvalidFileModeException", f"The file mode {mode} is not valid.")
    return mode


def _content(value: str | None) -> bytes:
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        raise CodeCommitError("InvalidParameterException", "fileContent is not valid base64.") from None


def _check_conflicts(files: dict[str, tuple[str, str]], path: str) -> None:
    if any(other.startswith(path + "/") for other in files):
        raise CodeCommitError(
            "FileNameConflictsWithDirectoryNameException",
            f"The file name {path} conflicts with the name of a folder in the repository.",
        )
    parts = path.split("/")
    for depth in range(1, len(parts)):
        prefix = "/".join(parts[:depth])
        if prefix in files:
            raise CodeCommitError(
                "DirectoryNameConflictsWithFileNameException",
                f"The folder name {prefix} conflicts with the name of a file in the repository.",
            )


def _author(response: CodeCommitResponse, name: str | None, email: str | None) -> tuple[str, str]:
    caller = _policy.caller_for(response.current_account, response.get_access_key(), response.region)
    return name or caller.arn.rsplit("/", 1)[-1], email or ""


# --- branch updates and events --------------------------------------------------------------------------


def _move_branch(backend: CodeCommitBackend, repo: CodeCommit, branch: str, commit_id: str, caller: str) -> None:
    store = _store(repo)
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


def branch_head(account: str, region: str, repository: str, branch: str) -> tuple[str, str] | None:
    """(commit id, message) at the tip of a branch, for CodePipeline source actions; None when absent."""
    repo = codecommit_backends[account][region].repositories.get(repository)
    if repo is None:
        return None
    store = _store(repo)
    commit_id = store.branches.get(branch)
    return (commit_id, store.commits[commit_id].message) if commit_id else None


def _entry(path: str, blob: str, mode: str) -> dict[str, str]:
    return {"absolutePath": path, "blobId": blob, "fileMode": mode}


# --- API --------------------------------------------------------------------------------------------------


def put_file(self: CodeCommitResponse) -> str:
    backend = self.codecommit_backend
    repo = _repo(backend, _patch.param(self, "repositoryName"))
    store = _store(repo)
    branch = _patch.param(self, "branchName")
    parent = _parent(store, branch, _patch.param(self, "parentCommitId"))
    path = _path(_patch.param(self, "filePath"))
    content = _content(_patch.param(self, "fileContent"))
    if not content:
        raise CodeCommitError("FileContentRequiredException", "The file cannot be added because it is empty.")
    mode = _mode(_patch.param(self, "fileMode"))
    files = dict(parent.files) if parent else {}
    blob = _git_hash("blob", content)
    if files.get(path) == (blob, mode):
        raise CodeCommitError(
            "SameFileContentException",
            "The file could not be added because the provided file already exists with the same content.",
        )
    _check_conflicts(files, path)
    store.blobs[blob] = content
    files[path] = (blob, mode)
    name, email = _author(self, _patch.param(self, "name"), _patch.param(self, "email"))
    message = _patch.param(self, "commitMessage") or f"Added {path}"
    commit = _make_commit(store, files, [parent.commit_id] if parent else [], message, name, email)
    _move_branch(
        backend,
        repo,
        branch,
        commit.commit_id,
        _policy.caller_for(self.current_account, self.get_access_key(), self.region).arn,
    )
    return json.dumps({"commitId": commit.commit_id, "blobId": blob, "treeId": commit.tree_id})


def create_commit(self: CodeCommitResponse) -> str:
    backend = self.codecommit_backend
    repo = _repo(backend, _patch.param(self, "repositoryName"))
    store = _store(repo)
    branch = _patch.param(self, "branchName")
    parent = _parent(store, branch, _patch.param(self, "parentCommitId"))
    before = dict(parent.files) if parent else {}
    files = dict(before)
    puts = _patch.param(self, "putFiles") or []
    deletes = _patch.param(self, "deleteFiles") or []
    modes = _patch.param(self, "setFileModes") or []
    if not (puts or deletes or modes):
        raise CodeCommitError(
            "FileEntryRequiredException", "The commit cannot be created because no files were specified."
        )
    seen: set[str] = set()

    def claim(raw: str | None) -> str:
        path = _path(raw)
        if path in seen:
            raise CodeCommitError(
                "PutFileEntryConflictException",
                f"The commit cannot be created because {path} appears in more than one entry.",
            )
        seen.add(path)
        return path

    for entry in deletes:
        path = claim(entry.get("filePath"))
        if path not in files:
            raise CodeCommitError("FileDoesNotExistException", f"The file {path} does not exist.")
        del files[path]
    new_blobs: dict[str, bytes] = {}
    for entry in puts:
        path = claim(entry.get("filePath"))
        source = entry.get("sourceFile")
        if entry.get("fileContent") is not None and source:
            raise CodeCommitError(
                "FileContentAndSourceFileSpecifiedException",
                f"Specify either fileContent or sourceFile for {path}, not both.",
            )
        if source:
            source_path = _path(source.get("filePath"))
            if source_path not in before:
                raise CodeCommitError("FileDoesNotExistException", f"The file {source_path} does not exist.")
            blob, source_mode = before[source_path]
            mode = _mode(entry.get("fileMode") or source_mode)
            if source.get("isMove"):
                files.pop(source_path, None)
        elif entry.get("fileContent") is not None:
            content = _content(entry.get("fileContent"))
            blob = _git_hash("blob", content)
            new_blobs[blob] = content
            mode = _mode(entry.get("fileMode"))
        else:
            raise CodeCommitError(
                "SourceFileOrContentRequiredException", f"Either fileContent or sourceFile is required for {path}."
            )
        _check_conflicts({k: v for k, v in files.items() if k != path}, path)
        files[path] = (blob, mode)
    for entry in modes:
        path = claim(entry.get("filePath"))
        if path not in files:
            raise CodeCommitError("FileDoesNotExistException", f"The file {path} does not exist.")
        files[path] = (files[path][0], _mode(entry.get("fileMode")))
    if parent is not None and files == before:
        raise CodeCommitError(
            "NoChangeException", "The commit cannot be created because no changes will be made to the repository."
        )
    store.blobs.update(new_blobs)
    name, email = _author(self, _patch.param(self, "authorName"), _patch.param(self, "email"))
    message = _patch.param(self, "commitMessage") or ""
    commit = _make_commit(store, files, [parent.commit_id] if parent else [], message, name, email)
    caller = _policy.caller_for(self.current_account, self.get_access_key(), self.region).arn
    _move_branch(backend, repo, branch, commit.commit_id, caller)
    added = [_entry(p, b, m) for p, (b, m) in sorted(files.items()) if p not in before]
    updated = [_entry(p, b, m) for p, (b, m) in sorted(files.items()) if p in before and before[p] != (b, m)]
    deleted = [_entry(p, b, m) for p, (b, m) in sorted(before.items()) if p not in files]
    return json.dumps(
        {
            "commitId": commit.commit_id,
            "treeId": commit.tree_id,
            "filesAdded": added,
            "filesUpdated": updated,
            "filesDeleted": deleted,
        }
    )


def get_file(self: CodeCommitResponse) -> str:
    repo = _repo(self.codecommit_backend, _patch.param(self, "repositoryName"))
    store = _store(repo)
    path = _path(_patch.param(self, "filePath"))
    commit = _resolve(store, repo, _patch.param(self, "commitSpecifier"))
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
    repo = _repo(self.codecommit_backend, _patch.param(self, "repositoryName"))
    store = _store(repo)
    raw = _patch.param(self, "folderPath")
    folder = _folder(raw)
    commit = _resolve(store, repo, _patch.param(self, "commitSpecifier"))
    if folder not in commit.trees:
        raise CodeCommitError(
            "FolderDoesNotExistException", f"The folder {raw} does not exist in commit {commit.commit_id}."
        )
    prefix = f"{folder}/" if folder else ""
    files: list[dict[str, str]] = []
    links: list[dict[str, str]] = []
    for path, (blob, mode) in sorted(commit.files.items()):
        if path.startswith(prefix) and "/" not in path[len(prefix) :]:
            item = {"blobId": blob, "absolutePath": path, "relativePath": path[len(prefix) :], "fileMode": mode}
            (links if mode == "SYMLINK" else files).append(item)
    sub_folders = [
        {"treeId": tree, "absolutePath": path, "relativePath": path[len(prefix) :]}
        for path, tree in sorted(commit.trees.items())
        if path and path.startswith(prefix) and "/" not in path[len(prefix) :]
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
    repo = _repo(self.codecommit_backend, _patch.param(self, "repositoryName"))
    branch = _patch.param(self, "branchName")
    if not branch:
        raise CodeCommitError("BranchNameRequiredException", "A branch name is required but was not specified.")
    commit_id = _store(repo).branches.get(branch)
    if commit_id is None:
        raise CodeCommitError("BranchDoesNotExistException", f"Could not find branch {branch}")
    return json.dumps({"branch": {"branchName": branch, "commitId": commit_id}})


def list_branches(self: CodeCommitResponse) -> str:
    repo = _repo(self.codecommit_backend, _patch.param(self, "repositoryName"))
    return json.dumps({"branches": sorted(_store(repo).branches)})


def create_branch(self: CodeCommitResponse) -> str:
    backend = self.codecommit_backend
    repo = _repo(backend, _patch.param(self, "repositoryName"))
    store = _store(repo)
    branch = _patch.param(self, "branchName")
    commit_id = _patch.param(self, "commitId")
    if not branch:
        raise CodeCommitError("BranchNameRequiredException", "A branch name is required but was not specified.")
    if not commit_id:
        raise CodeCommitError("CommitIdRequiredException", "A commit ID is required but was not specified.")
    if branch in store.branches:
        raise CodeCommitError("BranchNameExistsException", f"Branch {branch} already exists")
    if commit_id not in store.commits:
        raise CodeCommitError("CommitDoesNotExistException", f"Could not find commit {commit_id}")
    caller = _policy.caller_for(self.current_account, self.get_access_key(), self.region).arn
    _move_branch(backend, repo, branch, commit_id, caller)
    return "{}"


def update_default_branch(self: CodeCommitResponse) -> str:
    repo = _repo(self.codecommit_backend, _patch.param(self, "repositoryName"))
    branch = _patch.param(self, "defaultBranchName")
    if not branch:
        raise CodeCommitError("BranchNameRequiredException", "A branch name is required but was not specified.")
    if branch not in _store(repo).branches:
        raise CodeCommitError("BranchDoesNotExistException", f"Could not find branch {branch}")
    repo.repository_metadata["defaultBranch"] = branch
    return "{}"


def get_commit(self: CodeCommitResponse) -> str:
    repo = _repo(self.codecommit_backend, _patch.param(self, "repositoryName"))
    commit_id = _patch.param(self, "commitId")
    if not commit_id:
        raise CodeCommitError("CommitIdRequiredException", "A commit ID is required but was not specified.")
    if not _COMMIT_ID.match(commit_id):
        raise CodeCommitError("InvalidCommitIdException", f"The commit ID {commit_id} is not valid.")
    commit = _store(repo).commits.get(commit_id)
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
    repo = _repo(self.codecommit_backend, _patch.param(self, "repositoryName"))
    blob_id = _patch.param(self, "blobId")
    if not blob_id:
        raise CodeCommitError("BlobIdRequiredException", "A blob ID is required but was not specified.")
    content = _store(repo).blobs.get(blob_id)
    if content is None:
        raise CodeCommitError("BlobIdDoesNotExistException", f"Could not find blob {blob_id}")
    return json.dumps({"content": base64.b64encode(content).decode()})


def get_differences(self: CodeCommitResponse) -> str:
    repo = _repo(self.codecommit_backend, _patch.param(self, "repositoryName"))
    store = _store(repo)
    after_spec = _patch.param(self, "afterCommitSpecifier")
    if not after_spec:
        raise CodeCommitError("CommitRequiredException", "A commit specifier is required but was not specified.")
    after = _resolve(store, repo, after_spec).files
    before_spec = _patch.param(self, "beforeCommitSpecifier")
    before = _resolve(store, repo, before_spec).files if before_spec else {}
    differences = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        diff: dict[str, Any] = {"changeType": "A" if old is None else "D" if new is None else "M"}
        if old is not None:
            diff["beforeBlob"] = {"blobId": old[0], "path": path, "mode": _MODES[old[1]]}
        if new is not None:
            diff["afterBlob"] = {"blobId": new[0], "path": path, "mode": _MODES[new[1]]}
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
