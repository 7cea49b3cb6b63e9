"""Request checks of the CodeCommit extension, with CodeCommit's error types and wording."""

from __future__ import annotations

import base64
import binascii
import logging

from moto.codecommit.exceptions import RepositoryDoesNotExistException
from moto.codecommit.models import CodeCommit, CodeCommitBackend

from sandbox.ext._codecommit_git import COMMIT_ID, MODES, CodeCommitError, Commit, Files, Store

log = logging.getLogger(__name__)


def repository(backend: CodeCommitBackend, name: str | None) -> CodeCommit:
    if not name:
        raise CodeCommitError("RepositoryNameRequiredException", "A repository name is required but was not specified.")
    repo = backend.repositories.get(name)
    if repo is None:
        raise RepositoryDoesNotExistException(name)
    return repo


def branch_name(value: str | None) -> str:
    if not value:
        raise CodeCommitError("BranchNameRequiredException", "A branch name is required but was not specified.")
    return value


def file_path(value: str | None, what: str = "file") -> str:
    if value is None or value.strip("/") == "":
        raise CodeCommitError("PathRequiredException", f"The {what} path is required but was not specified.")
    path = value.strip("/")
    if any(part in ("", ".", "..") for part in path.split("/")) or "\0" in path:
        raise CodeCommitError("InvalidPathException", f"The path {value} is not valid.")
    return path


def folder_path(value: str | None) -> str:
    if value is None:
        raise CodeCommitError("PathRequiredException", "The folder path is required but was not specified.")
    return "" if value.strip("/") in ("", ".") else file_path(value, "folder")


def parent_commit(store: Store, branch: str | None, parent_id: str | None) -> Commit | None:
    """The commit a new commit on `branch` builds on, with AWS's checks of parentCommitId."""
    branch = branch_name(branch)
    if parent_id is not None and not COMMIT_ID.match(parent_id):
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


def file_mode(value: str | None) -> str:
    mode = value or "NORMAL"
    if mode not in MODES:
        raise CodeCommitError("InvalidFileModeException", f"The file mode {mode} is not valid.")
    return mode


def file_content(value: str | None) -> bytes:
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        raise CodeCommitError("InvalidParameterException", "fileContent is not valid base64.") from None


def existing_file(files: Files, path: str) -> tuple[str, str]:
    if path not in files:
        raise CodeCommitError("FileDoesNotExistException", f"The file {path} does not exist.")
    return files[path]


def check_conflicts(files: Files, path: str) -> None:
    """A file may not share its path with a folder, nor sit below another file."""
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
