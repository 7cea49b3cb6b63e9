"""CodeStarSourceConnection source actions: what they read through a connection, and why they fail.

The action reads the branch head of `FullRepositoryId` from the stand-in Git host (`_connections_store`)
through `ConnectionArn`. As on AWS it fails while the connection is missing or not AVAILABLE (a connection
made by Terraform stays PENDING until someone completes it in the console), and when the branch has no
commit. The pipeline role's UseConnection grant is checked with the other action calls (`_pipeline_access`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sandbox.ext import _connections_store as store
from sandbox.ext._pipeline_runs import ActionRun

log = logging.getLogger(__name__)

PROVIDER = "CodeStarSourceConnection"


def _where(action: ActionRun) -> tuple[str, str, str]:
    config = action.configuration
    arn, repository = str(config.get("ConnectionArn", "")), str(config.get("FullRepositoryId", ""))
    return arn, repository, str(config.get("BranchName", ""))


def _head(action: ActionRun) -> store.Commit | None:
    _, repository, branch = _where(action)
    return store.head(repository, branch)


def revision(action: ActionRun) -> dict[str, Any] | None:
    """The branch head the action reads, as an execution's source revision (None: nothing to read)."""
    commit = _head(action)
    connection = store.find(_where(action)[0])
    if commit is None or connection is None or connection.status != store.AVAILABLE:
        return None
    summary = json.dumps({"ProviderType": connection.provider_type, "CommitMessage": commit.message})
    return {"actionName": action.name, "revisionId": commit.commit_id, "revisionSummary": summary}


def variables(action: ActionRun) -> dict[str, str]:
    """What the action exports in its namespace (AWS's CodeStarSourceConnection variables)."""
    commit = _head(action)
    if commit is None:
        return {}
    arn, repository, branch = _where(action)
    date = datetime.fromtimestamp(commit.timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "AuthorDate": date,
        "BranchName": branch,
        "CommitId": commit.commit_id,
        "CommitMessage": commit.message,
        "ConnectionArn": arn,
        "FullRepositoryName": repository,
    }


def problem(action: ActionRun) -> str | None:
    """Why the source action fails now (None: it can read its revision)."""
    arn, repository, branch = _where(action)
    connection = store.find(arn)
    if connection is None:
        return f"Connection {arn} does not exist or is not in this account and Region"
    if connection.status != store.AVAILABLE:
        return (
            f"Connection {arn} is not available: its status is {connection.status}. "
            "Update the pending connection in the console (Developer Tools > Settings > Connections)."
        )
    if _head(action) is None:
        return f"Could not find branch {branch} in repository {repository} through connection {arn}"
    return None
