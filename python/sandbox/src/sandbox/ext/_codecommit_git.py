"""The git object model behind the CodeCommit extension: blobs, trees and commits with real git SHA-1 ids.

A repository's objects live on moto's repository object (`sandbox_git`), so DeleteRepository and
/moto-api/reset drop them with it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field

from moto.codecommit.models import CodeCommit
from moto.core.exceptions import JsonRESTError

log = logging.getLogger(__name__)

COMMIT_ID = re.compile(r"^[0-9a-f]{40}$")
# CodeCommit's file modes and the git tree-entry modes they stand for.
MODES = {"NORMAL": "100644", "EXECUTABLE": "100755", "SYMLINK": "120000"}

Files = dict[str, tuple[str, str]]  # path -> (blob id, file mode)


class CodeCommitError(JsonRESTError):  # type: ignore[misc]
    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


@dataclass
class Commit:
    commit_id: str
    tree_id: str
    files: Files
    trees: dict[str, str]  # folder path ("" is the root) -> tree id
    parents: list[str]
    message: str
    author: dict[str, str]


@dataclass
class Store:
    blobs: dict[str, bytes] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)


def git_hash(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()


def _tree_body(entries: dict[str, tuple[str, str, bool]]) -> bytes:
    # git orders tree entries by name, with folders compared as if they ended in "/".
    ordered = sorted(entries.items(), key=lambda e: e[0] + ("/" if e[1][2] else ""))
    return b"".join(f"{mode} {name}\0".encode() + bytes.fromhex(obj) for name, (mode, obj, _) in ordered)


def _trees(files: Files) -> dict[str, str]:
    """Git tree ids for every folder of a flat {path: (blob, mode)} listing."""
    children: dict[str, dict[str, tuple[str, str, bool]]] = {"": {}}
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            children.setdefault("/".join(parts[:depth]), {})
    ids: dict[str, str] = {}
    # Deepest folders first, so every sub-folder's id is known when its parent is hashed.
    for folder in sorted(children, key=lambda f: f.count("/") if f else -1, reverse=True):
        entries: dict[str, tuple[str, str, bool]] = {}
        for path, (blob, mode) in files.items():
            parent, _, name = path.rpartition("/")
            if parent == folder:
                entries[name] = (MODES[mode], blob, False)
        for sub, tree_id in ids.items():
            parent, _, name = sub.rpartition("/")
            if parent == folder and sub != folder:
                entries[name] = ("40000", tree_id, True)
        ids[folder] = git_hash("tree", _tree_body(entries))
    return ids


def make_commit(store: Store, files: Files, parents: list[str], message: str, name: str, email: str) -> Commit:
    trees = _trees(files)
    stamp = f"{int(time.time())} +0000"
    lines = [f"tree {trees['']}"] + [f"parent {p}" for p in parents]
    lines += [f"author {name} <{email}> {stamp}", f"committer {name} <{email}> {stamp}", "", message]
    commit_id = git_hash("commit", "\n".join(lines).encode())
    commit = Commit(
        commit_id, trees[""], dict(files), trees, parents, message, {"name": name, "email": email, "date": stamp}
    )
    store.commits[commit_id] = commit
    return commit


def store_of(repo: CodeCommit) -> Store:
    if not hasattr(repo, "sandbox_git"):
        repo.sandbox_git = Store()
    store: Store = repo.sandbox_git
    return store


def resolve(store: Store, repo: CodeCommit, specifier: str | None) -> Commit:
    """A commit from a branch name, a full commit id, or (when absent) the default branch."""
    spec = specifier or repo.repository_metadata.get("defaultBranch") or "HEAD"
    commit_id = store.branches.get(spec) or (spec if spec in store.commits else None)
    if spec == "HEAD" and store.branches:
        commit_id = store.branches[next(iter(store.branches))]
    if commit_id is None:
        raise CodeCommitError("CommitDoesNotExistException", f"Could not find commit {spec}")
    return store.commits[commit_id]
