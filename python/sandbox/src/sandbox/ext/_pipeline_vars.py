"""CodePipeline variables: `#{Namespace.Variable}` references in action configuration, resolved when an action starts.

The namespaces an action can read: `codepipeline` (PipelineExecutionId), `variables` (the pipeline-level
variables of a V2 pipeline: start values over declared defaults), and every earlier action of the same
execution that declares a `namespace` and has succeeded with output variables (a CodeCommit source's commit
details, a CodeBuild action's exported variables). A reference to anything else fails the action, as in AWS.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from sandbox.ext._pipeline_runs import ActionRun, Execution

log = logging.getLogger(__name__)

_REFERENCE = re.compile(r"#\{([A-Za-z0-9@_\-]+)\.([A-Za-z0-9@_\-.]+)\}")


def unresolved_message(action: ActionRun) -> str:
    """AWS's summary for an action whose configuration names a variable that does not exist."""
    reason = "An action in this pipeline failed because one or more variables could not be resolved"
    return f"{reason}: Action name={action.name}"


def namespaces(pipeline_spec: dict[str, Any], execution: Execution) -> dict[str, dict[str, str]]:
    """Every namespace an action starting now in `execution` may reference."""
    declared = {str(v["name"]): str(v.get("defaultValue", "")) for v in pipeline_spec.get("variables") or []}
    given = {str(v["name"]): str(v["value"]) for v in execution.variables}
    spaces: dict[str, dict[str, str]] = {
        "codepipeline": {"PipelineExecutionId": execution.execution_id},
        "variables": {**declared, **given},
    }
    for run in execution.stages.values():
        for action in run.actions:
            if action.namespace and action.status == "Succeeded":
                spaces[action.namespace] = dict(action.output_variables)
    return spaces


def resolve(configuration: dict[str, Any], spaces: dict[str, dict[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """(configuration with references replaced, the references that name no variable)."""
    missing: list[str] = []

    def value_of(match: re.Match[str]) -> str:
        found = spaces.get(match.group(1), {}).get(match.group(2))
        if found is None:
            missing.append(match.group(0))
            return match.group(0)
        return found

    resolved = {
        key: _REFERENCE.sub(value_of, value) if isinstance(value, str) else value
        for key, value in configuration.items()
    }
    return resolved, missing


def _iso(git_stamp: str) -> str:
    """A git date ("<epoch> +0000") as the ISO-8601 text CodePipeline reports."""
    seconds = int(git_stamp.split()[0])
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def codecommit_variables(account: str, region: str, action: ActionRun) -> dict[str, str]:
    """What a CodeCommit source action exports: the branch head it read (empty when the branch has none)."""
    from moto.codecommit.models import codecommit_backends

    from sandbox.ext._codecommit_git import store_of

    repository = str(action.configuration.get("RepositoryName", ""))
    branch = str(action.configuration.get("BranchName", ""))
    repo = codecommit_backends[account][region].repositories.get(repository)
    if repo is None:
        return {}
    store = store_of(repo)
    commit_id = store.branches.get(branch)
    if commit_id is None:
        return {}
    commit = store.commits[commit_id]
    date = _iso(commit.author["date"])
    return {
        "CommitId": commit_id,
        "CommitMessage": commit.message,
        "BranchName": branch,
        "RepositoryName": repository,
        "AuthorDate": date,
        "CommitterDate": date,
    }
