"""CodeConnections state: connections per account and region, and the stand-in Git host they reach.

Connections live on moto's CodePipeline backend of their account and region (`sandbox_connections`), so
/moto-api/reset drops them with the pipelines that use them. The Git host is one simulated provider shared by
every account, as GitHub is: repositories `owner/name`, branches, and commits holding a whole tree. It is
module state, cleared on /moto-api/reset (`reset`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.codepipeline.models import codepipeline_backends

log = logging.getLogger(__name__)

PROVIDER_TYPES = (
    "Bitbucket",
    "GitHub",
    "GitHubEnterpriseServer",
    "GitLab",
    "GitLabSelfManaged",
    "AzureDevOps",
    "GitHubEnterpriseCloudDataResidency",
)
PENDING, AVAILABLE = "PENDING", "AVAILABLE"


@dataclass
class Connection:
    arn: str
    name: str
    provider_type: str
    owner_account: str
    host_arn: str = ""
    status: str = PENDING
    tags: dict[str, str] = field(default_factory=dict)

    def to_api(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ConnectionName": self.name,
            "ConnectionArn": self.arn,
            "ProviderType": self.provider_type,
            "OwnerAccountId": self.owner_account,
            "ConnectionStatus": self.status,
        }
        if self.host_arn:
            answer["HostArn"] = self.host_arn
        return answer


def connections(account: str, region: str) -> dict[str, Connection]:
    """The connections of one account and region, by ARN."""
    backend = codepipeline_backends[account][region]
    if not hasattr(backend, "sandbox_connections"):
        backend.sandbox_connections = {}
    found: dict[str, Connection] = backend.sandbox_connections
    return found


def new_arn(service: str, account: str, region: str) -> str:
    """`arn:aws:<codestar-connections|codeconnections>:<region>:<account>:connection/<uuid>`; never reused."""
    return f"arn:aws:{service}:{region}:{account}:connection/{uuid.uuid4()}"


def find(arn: str) -> Connection | None:
    """A connection by ARN, in the account and region the ARN names."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] not in ("codestar-connections", "codeconnections"):
        return None
    try:
        return connections(parts[4], parts[3]).get(arn)
    except KeyError:  # a region or account moto does not know
        return None


@dataclass(frozen=True)
class Commit:
    commit_id: str
    message: str
    files: dict[str, bytes]
    timestamp: float


@dataclass
class Repository:
    full_id: str
    branches: dict[str, list[Commit]] = field(default_factory=dict)

    def head(self, branch: str) -> Commit | None:
        history = self.branches.get(branch)
        return history[-1] if history else None


_LOCK = threading.Lock()
_REPOSITORIES: dict[str, Repository] = {}


def reset() -> None:
    with _LOCK:
        _REPOSITORIES.clear()


def _commit_id(parent: str, message: str, files: dict[str, bytes], stamp: float) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for part in (parent, message, repr(stamp)):
        digest.update(part.encode() + b"\0")
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha1(files[path], usedforsecurity=False).digest())
    return digest.hexdigest()


def push(full_id: str, branch: str, files: dict[str, bytes], message: str) -> Commit:
    """Commit `files` (the branch's whole tree after the push) on top of `branch` of `full_id`."""
    with _LOCK:
        repo = _REPOSITORIES.setdefault(full_id, Repository(full_id))
        parent = repo.head(branch)
        stamp = time.time()
        commit = Commit(_commit_id(parent.commit_id if parent else "", message, files, stamp), message, files, stamp)
        repo.branches.setdefault(branch, []).append(commit)
    log.info("git host: %s@%s is now %s (%d files)", full_id, branch, commit.commit_id, len(files))
    return commit


def head(full_id: str, branch: str) -> Commit | None:
    with _LOCK:
        repo = _REPOSITORIES.get(full_id)
        return repo.head(branch) if repo else None
