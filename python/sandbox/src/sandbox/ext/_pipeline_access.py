"""CodePipeline acts as its pipeline role (or an action's own role), and IAM decides each action's calls.

When an action starts, CodePipeline, as the role, reads the source (CodeCommit or a CodeConnections
connection), starts and watches the build, and moves artifacts through the artifact store (S3, KMS).
A refusal fails the action with the denial as its summary, as CodePipeline reports a role that lacks
a permission. Manual approvals call nothing (unless they notify an SNS topic).
"""

from __future__ import annotations

from typing import Any

from sandbox.ext import _policy
from sandbox.iam.engine import engine, mode
from sandbox.iam.model import Authorization


def _calls(action: Any, account: str, region: str, store: dict[str, Any]) -> list[tuple[str, str]]:
    config = action.configuration
    calls: list[tuple[str, str]] = []
    if action.provider == "CodeCommit":
        repo = f"arn:aws:codecommit:{region}:{account}:{config.get('RepositoryName', '')}"
        calls += [(a, repo) for a in ("codecommit:GetBranch", "codecommit:GetCommit", "codecommit:UploadArchive")]
    elif action.provider == "CodeStarSourceConnection" and config.get("ConnectionArn"):
        # The action's prefix follows the connection ARN's service (codestar-connections or codeconnections).
        arn = str(config["ConnectionArn"])
        prefix = "codeconnections" if arn.split(":")[2:3] == ["codeconnections"] else "codestar-connections"
        calls.append((f"{prefix}:UseConnection", arn))
    elif action.provider == "CodeBuild":
        project = f"arn:aws:codebuild:{region}:{account}:project/{config.get('ProjectName', '')}"
        calls += [("codebuild:StartBuild", project), ("codebuild:BatchGetBuilds", project)]
    elif action.category == "Approval" and config.get("NotificationArn"):
        calls.append(("sns:Publish", str(config["NotificationArn"])))
    bucket = store.get("location")
    if bucket and action.category in ("Source", "Build"):
        calls.append(("s3:PutObject", f"arn:aws:s3:::{bucket}/*"))
        if action.category == "Build":
            calls.append(("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    key = (store.get("encryptionKey") or {}).get("id")
    if key and str(key).startswith("arn:") and action.category in ("Source", "Build"):
        calls += [("kms:GenerateDataKey", str(key)), ("kms:Decrypt", str(key))]
    return calls


def refusal(pipeline: Any, action_spec: dict[str, Any], action: Any, account: str, region: str) -> str | None:
    """Why the pipeline's role may not run `action` (None: it may)."""
    if mode() == "off":
        return None
    role_arn = str(action_spec.get("roleArn") or pipeline.pipeline.get("roleArn") or "")
    if not role_arn.startswith("arn:"):
        return None
    role = _policy.role_session(role_arn, "codepipeline")
    store = dict(pipeline.pipeline.get("artifactStore") or {})
    for call, resource in _calls(action, account, region, store):
        verdict = engine().authorize(
            role, Authorization(call, resource), region=region, operation="CodePipeline action"
        )
        if verdict.refused:
            return verdict.message
    return None
