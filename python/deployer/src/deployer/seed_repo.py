"""Seed a CodeCommit repository with files, idempotently, without overwriting the team's edits.

Terraform's terraform_data local-exec calls `deployer seed-repo` after creating a stage repository, and
again when the seed changes. Two kinds of file:

- seeded (`--source-dir`, and `--seed-file REPO_PATH=LOCAL_FILE` for a seed file that lands under another name,
  such as config/stage.json.example as config/<stage>.json): the team owns them once they exist. A seeded
  file is written only when the repo lacks it, or when the repo still holds exactly what an earlier seed
  wrote (its SHA-256 is in the manifest `.seed/manifest.json`, committed with every seed). A file the team
  changed is kept, and the result lists it under `kept`.
- generated (`--file REPO_PATH=LOCAL_FILE`): the caller owns them; the repo's copy is replaced whenever it
  differs. The stage module no longer generates any (its facts live in SSM).

Files in the repo that are not in the seed are never touched. Every run commits at most once per batch,
and not at all when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
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
MANIFEST = ".seed/manifest.json"


class SeedFiles(dict[str, Path]):
    """Repo path -> local file, plus which repo paths are generated (Terraform-owned, always replaced)."""

    def __init__(self, files: dict[str, Path], generated: frozenset[str] = frozenset()) -> None:
        super().__init__(files)
        self.generated = generated


@dataclass
class SeedResult:
    repository: str
    branch: str
    commit_ids: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "branch": self.branch,
            "commit_ids": self.commit_ids,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "kept": self.kept,
        }


def _mapping(flag: str, mapping: str) -> tuple[str, Path]:
    repo_path, sep, local_file = mapping.partition("=")
    repo_path = repo_path.strip().lstrip("/")
    if not sep or not repo_path or not local_file:
        raise InputError(f"{flag} {mapping!r}: expected REPO_PATH=LOCAL_FILE")
    if ".." in Path(repo_path).parts:
        raise InputError(f"{flag} {mapping!r}: REPO_PATH must stay inside the repository")
    local = Path(local_file)
    if not local.is_file():
        raise InputError(f"{flag} {mapping!r}: {local} is not a file")
    return repo_path, local


def collect_files(
    source_dir: str | Path | None, mappings: list[str], seed_mappings: list[str] | tuple[str, ...] = ()
) -> SeedFiles:
    """Every file under `source_dir` (seeded), `REPO_PATH=LOCAL_FILE` seed mappings (seeded, under REPO_PATH
    instead of their own path when they lie in `source_dir`), then mappings (generated)."""
    files: dict[str, Path] = {}
    generated: set[str] = set()
    renamed = {_mapping("--seed-file", m)[1].resolve() for m in seed_mappings}
    if source_dir is not None:
        root = Path(source_dir)
        if not root.is_dir():
            raise InputError(f"--source-dir: {root} is not a directory")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for filename in sorted(filenames):
                local = Path(dirpath) / filename
                if local.resolve() not in renamed:
                    files[local.relative_to(root).as_posix()] = local
    for mapping in seed_mappings:
        repo_path, local = _mapping("--seed-file", mapping)
        files[repo_path] = local
    for mapping in mappings:
        repo_path, local = _mapping("--file", mapping)
        files[repo_path] = local
        generated.add(repo_path)
    if not files:
        raise InputError("nothing to seed: give --source-dir and/or --file")
    if MANIFEST in files:
        raise InputError(f"{MANIFEST}: the seed's own record; do not seed a file of that name")
    return SeedFiles(files, frozenset(generated))


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


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _read_manifest(cc: Client, repository: str, head: str | None, account: str, role: str) -> dict[str, str]:
    raw = _current_content(cc, repository, head, MANIFEST, account, role) if head else None
    try:
        files = json.loads(raw)["files"] if raw else {}
    except (ValueError, KeyError, TypeError):
        log.warning(
            "%s in %s is not a seed manifest; treating every differing seeded file as the team's", MANIFEST, repository
        )
        return {}
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _pending_changes(
    cc: Client, repository: str, head: str | None, files: dict[str, Path], result: SeedResult, account: str, role: str
) -> list[dict[str, Any]]:
    """The putFiles of this seed; fills result.changed/unchanged/kept. The manifest goes with any change."""
    generated: frozenset[str] = getattr(files, "generated", frozenset())
    manifest = _read_manifest(cc, repository, head, account, role)
    recorded = dict(manifest)
    pending: list[dict[str, Any]] = []
    for repo_path, local in sorted(files.items()):
        content = local.read_bytes()
        current = _current_content(cc, repository, head, repo_path, account, role) if head else None
        seeded = repo_path not in generated
        if current == content:
            result.unchanged.append(repo_path)
        elif seeded and current is not None and manifest.get(repo_path) != _sha256(current):
            result.kept.append(repo_path)  # the team changed it since the last seed: theirs now
            continue
        else:
            mode = "EXECUTABLE" if os.access(local, os.X_OK) else "NORMAL"
            pending.append({"filePath": repo_path, "fileContent": content, "fileMode": mode})
            result.changed.append(repo_path)
        if seeded:
            recorded[repo_path] = _sha256(content)
    if recorded != manifest and (pending or head is not None):
        text = json.dumps({"version": 1, "files": recorded}, indent=2, sort_keys=True) + "\n"
        pending.append({"filePath": MANIFEST, "fileContent": text.encode(), "fileMode": "NORMAL"})
    for path in result.kept:
        log.warning("kept %s: it changed in %s since the last seed (the team's now)", path, repository)
    return pending


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
    pending = _pending_changes(cc, repository, head, files, result, account, role)
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
