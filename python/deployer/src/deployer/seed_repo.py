"""Seed a CodeCommit repository with files, idempotently: a commit only when some content changed.

Terraform's terraform_data local-exec calls `deployer seed-repo` after creating a stage repository.
Files present in the repo but not in the seed are left alone (teams may add their own); files in the
seed overwrite the repo's copy when their content differs, since Terraform is their source of truth.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws_errors import error_code
from deployer.errors import InputError, aws_call
from deployer.sessions import Client, role_label

log = logging.getLogger(__name__)

MAX_FILES_PER_COMMIT = 100
MAX_BYTES_PER_COMMIT = 5 * 1024 * 1024
SKIP_DIRS = frozenset({".git", "__pycache__", ".terraform"})


@dataclass
class SeedResult:
    repository: str
    branch: str
    commit_ids: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "branch": self.branch,
            "commit_ids": self.commit_ids,
            "changed": self.changed,
            "unchanged": self.unchanged,
        }


def collect_files(source_dir: str | Path | None, mappings: list[str]) -> dict[str, Path]:
    """Repo path -> local file: every file under `source_dir`, then `REPO_PATH=LOCAL_FILE` mappings."""
    files: dict[str, Path] = {}
    if source_dir is not None:
        root = Path(source_dir)
        if not root.is_dir():
            raise InputError(f"--source-dir: {root} is not a directory")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for filename in sorted(filenames):
                local = Path(dirpath) / filename
                files[local.relative_to(root).as_posix()] = local
    for mapping in mappings:
        repo_path, sep, local_file = mapping.partition("=")
        repo_path = repo_path.strip().lstrip("/")
        if not sep or not repo_path or not local_file:
            raise InputError(f"--file {mapping!r}: expected REPO_PATH=LOCAL_FILE")
        if ".." in Path(repo_path).parts:
            raise InputError(f"--file {mapping!r}: REPO_PATH must stay inside the repository")
        local = Path(local_file)
        if not local.is_file():
            raise InputError(f"--file {mapping!r}: {local} is not a file")
        files[repo_path] = local
    if not files:
        raise InputError("nothing to seed: give --source-dir and/or --file")
    return files


def _branch_head(cc: Client, repository: str, branch: str, account: str, role: str) -> str | None:
    with aws_call("codecommit:GetBranch", account, role):
        try:
            return str(cc.get_branch(repositoryName=repository, branchName=branch)["branch"]["commitId"])
        except ClientError as exc:
            if error_code(exc) == "RepositoryDoesNotExistException":
                raise InputError(f"--repository-name: repository {repository} does not exist") from exc
            if error_code(exc) in ("BranchDoesNotExistException", "CommitDoesNotExistException"):
                return None
            raise


def _current_content(cc: Client, repository: str, head: str, path: str, account: str, role: str) -> bytes | None:
    with aws_call("codecommit:GetFile", account, role):
        try:
            return bytes(cc.get_file(repositoryName=repository, commitSpecifier=head, filePath=path)["fileContent"])
        except ClientError as exc:
            if error_code(exc) in ("FileDoesNotExistException", "PathDoesNotExistException"):
                return None
            raise


def seed_repository(
    cc: Client,
    repository: str,
    branch: str,
    files: dict[str, Path],
    *,
    account: str = "",
    role_arn: str = "",
    message: str = "Seed from Terraform (mlops-deployer seed-repo)",
    author: str = "mlops-deployer",
    email: str = "mlops-deployer@users.noreply.local",
) -> SeedResult:
    role = role_label(role_arn)
    result = SeedResult(repository, branch)
    head = _branch_head(cc, repository, branch, account, role)
    if head is None:
        with aws_call("codecommit:GetRepository", account, role):
            default = cc.get_repository(repositoryName=repository)["repositoryMetadata"].get("defaultBranch")
        if default and default != branch:
            base = _branch_head(cc, repository, default, account, role)
            if base:
                with aws_call("codecommit:CreateBranch", account, role):
                    cc.create_branch(repositoryName=repository, branchName=branch, commitId=base)
                head = base
    pending: list[dict[str, Any]] = []
    for repo_path, local in sorted(files.items()):
        content = local.read_bytes()
        current = _current_content(cc, repository, head, repo_path, account, role) if head else None
        if current == content:
            result.unchanged.append(repo_path)
            continue
        mode = "EXECUTABLE" if os.access(local, os.X_OK) else "NORMAL"
        pending.append({"filePath": repo_path, "fileContent": content, "fileMode": mode})
        result.changed.append(repo_path)
    batch: list[dict[str, Any]] = []
    size = 0
    for item in pending:
        if batch and (len(batch) >= MAX_FILES_PER_COMMIT or size + len(item["fileContent"]) > MAX_BYTES_PER_COMMIT):
            head = _commit(cc, repository, branch, head, batch, message, author, email, account, role)
            result.commit_ids.append(head)
            batch, size = [], 0
        batch.append(item)
        size += len(item["fileContent"])
    if batch:
        head = _commit(cc, repository, branch, head, batch, message, author, email, account, role)
        result.commit_ids.append(head)
    if result.commit_ids:
        log.info("seeded %s/%s: %d file(s) changed, commit %s", repository, branch, len(result.changed), head)
    else:
        log.info("%s/%s is up to date (%d file(s) unchanged); no commit", repository, branch, len(result.unchanged))
    return result


def _commit(
    cc: Client,
    repository: str,
    branch: str,
    parent: str | None,
    put_files: list[dict[str, Any]],
    message: str,
    author: str,
    email: str,
    account: str,
    role: str,
) -> str:
    kwargs: dict[str, Any] = {
        "repositoryName": repository,
        "branchName": branch,
        "authorName": author,
        "email": email,
        "commitMessage": message,
        "putFiles": put_files,
    }
    if parent:
        kwargs["parentCommitId"] = parent
    with aws_call("codecommit:CreateCommit", account, role):
        return str(cc.create_commit(**kwargs)["commitId"])
