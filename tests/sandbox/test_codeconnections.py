"""CodeStar Connections / CodeConnections in the sandbox: the API, IAM on it, and pipelines that start from a
connection (PENDING fails the Source action; the handshake and a push start and feed it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from sandbox.git_host import GitHostError, complete_connection, push
from sandbox.testing import session_from
from tests.conftest import ACCOUNTS, REGION, Sandbox

DEV = ACCOUNTS["dev"]
ARTIFACTS = "artifacts"


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _connections(sandbox: Sandbox, role: str = "OrganizationAccountAccessRole") -> Any:
    return sandbox.client("codestar-connections", account="dev", role=role)


def test_connection_lifecycle_and_tags(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    client = _connections(sandbox)
    name = unique("conn")[:32]
    tags = [{"Key": "team", "Value": "ml"}]
    created = client.create_connection(ProviderType="GitHub", ConnectionName=name, Tags=tags)
    arn = created["ConnectionArn"]
    assert arn.startswith(f"arn:aws:codestar-connections:{REGION}:{DEV}:connection/")
    assert created["Tags"] == [{"Key": "team", "Value": "ml"}]

    connection = client.get_connection(ConnectionArn=arn)["Connection"]
    assert connection == {
        "ConnectionName": name,
        "ConnectionArn": arn,
        "ProviderType": "GitHub",
        "OwnerAccountId": DEV,
        "ConnectionStatus": "PENDING",
    }
    listed = client.list_connections(ProviderTypeFilter="GitHub")["Connections"]
    assert arn in [c["ConnectionArn"] for c in listed]
    assert arn not in [c["ConnectionArn"] for c in client.list_connections(ProviderTypeFilter="GitLab")["Connections"]]

    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    client.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    client.delete_connection(ConnectionArn=arn)
    with pytest.raises(ClientError) as gone:
        client.get_connection(ConnectionArn=arn)
    assert _code(gone) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as again:
        client.delete_connection(ConnectionArn=arn)
    assert _code(again) == "ResourceNotFoundException"


def test_create_connection_validates_its_input(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    client = _connections(sandbox)
    with pytest.raises(ClientError) as bad_provider:
        client.create_connection(ProviderType="SourceForge", ConnectionName=unique("c")[:32])
    assert _code(bad_provider) == "ValidationException"
    assert "GitHub" in str(bad_provider.value)
    with pytest.raises(ClientError) as long_name:
        client.create_connection(ProviderType="GitHub", ConnectionName="x" * 33)
    assert _code(long_name) == "ValidationException"
    with pytest.raises(ClientError) as no_provider:
        client.create_connection(ConnectionName=unique("c")[:32])
    assert _code(no_provider) == "ValidationException"


def test_codeconnections_json_api_makes_codeconnections_arns(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    """The renamed service (JSON protocol, as Terraform's Go SDK speaks it) shares the connections."""
    credentials = sandbox.session("dev").get_credentials()
    body = json.dumps({"ProviderType": "GitLab", "ConnectionName": unique("cc")[:32]})
    request = AWSRequest(
        method="POST",
        url=f"{sandbox.url}/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            # The Go SDK's short target (botocore sends com.amazonaws.codeconnections.<this>).
            "X-Amz-Target": "CodeConnections_20231201.CreateConnection",
        },
    )
    SigV4Auth(credentials, "codeconnections", REGION).add_auth(request)
    answer = urllib3.request("POST", request.url, body=body, headers=dict(request.headers.items()))
    assert answer.status == 200, answer.data
    arn = json.loads(answer.data)["ConnectionArn"]
    assert arn.startswith(f"arn:aws:codeconnections:{REGION}:{DEV}:connection/")
    # Reachable through the old name too.
    assert _connections(sandbox).get_connection(ConnectionArn=arn)["Connection"]["ProviderType"] == "GitLab"


def _limited_role(sandbox: Sandbox, unique: Callable[[str], str], statements: list[dict[str, Any]]) -> str:
    iam: Any = sandbox.client("iam", account="dev")
    role = unique("conn-user")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['tooling']}:root"},
                            "Action": "sts:AssumeRole"}]}  # fmt: skip
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(policy))
    return role


def _client_as(sandbox: Sandbox, role: str) -> Any:
    creds = (
        sandbox.base_session()
        .client("sts", endpoint_url=sandbox.url)
        .assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/{role}", RoleSessionName="limited")["Credentials"]
    )
    return session_from(creds, REGION).client("codestar-connections", endpoint_url=sandbox.url)


def test_iam_decides_connection_calls(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    arn = _connections(sandbox).create_connection(ProviderType="GitHub", ConnectionName=unique("c")[:32])[
        "ConnectionArn"
    ]
    role = _limited_role(
        sandbox, unique, [{"Effect": "Allow", "Action": "codestar-connections:GetConnection", "Resource": arn}]
    )
    client = _client_as(sandbox, role)
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn
    for call in (
        lambda: client.delete_connection(ConnectionArn=arn),
        lambda: client.create_connection(ProviderType="GitHub", ConnectionName="denied"),
    ):
        with pytest.raises(ClientError) as denied:
            call()
        assert _code(denied) == "AccessDeniedException"


def _pipeline(sandbox: Sandbox, unique: Callable[[str], str], config: dict[str, str], grant: bool) -> tuple[Any, str]:
    """A V2 pipeline Source (CodeStarSourceConnection) -> Approve; its role may use the connection when `grant`."""
    iam: Any = sandbox.client("iam", account="dev")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]}  # fmt: skip
    role = unique("cp-conn")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{ARTIFACTS}/*"}
    ]
    if grant:
        statements.append(
            {"Effect": "Allow", "Action": "codestar-connections:UseConnection", "Resource": config["ConnectionArn"]}
        )
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=json.dumps(policy))
    source = {
        "name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection", "version": "1"},
        "configuration": config,
        "outputArtifacts": [{"name": "src"}],
        "namespace": "SourceVariables",
    }
    approve = {
        "name": "Approve",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
        "configuration": {"CustomData": "commit #{SourceVariables.CommitId}"},
    }
    name = unique("conn-pipeline")
    cp: Any = sandbox.client("codepipeline", account="dev")
    cp.create_pipeline(
        pipeline={
            "name": name,
            "roleArn": role_arn,
            "artifactStore": {"type": "S3", "location": ARTIFACTS},
            "pipelineType": "V2",
            "executionMode": "QUEUED",
            "stages": [{"name": "Source", "actions": [source]}, {"name": "Approve", "actions": [approve]}],
        }
    )
    return cp, name


def _source_state(cp: Any, name: str) -> dict[str, Any]:
    states = {s["stageName"]: s for s in cp.get_pipeline_state(name=name)["stageStates"]}
    action: dict[str, Any] = states["Source"]["actionStates"][0]
    return action


def test_pipeline_starts_from_a_completed_connection(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    arn = _connections(sandbox).create_connection(ProviderType="GitHub", ConnectionName=unique("c")[:32])[
        "ConnectionArn"
    ]
    repo = f"acme/{unique('churn')}"
    config = {"ConnectionArn": arn, "FullRepositoryId": repo, "BranchName": "main", "OutputArtifactFormat": "CODE_ZIP"}
    cp, name = _pipeline(sandbox, unique, config, grant=True)

    # PENDING: a push does not reach AWS (the provider app is not installed), a manual start fails at Source.
    assert push(sandbox.url, repo, "main", {"README.md": b"v0"}, "before handshake")["startedExecutions"] == []
    pending = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    run = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=pending)["pipelineExecution"]
    assert run["status"] == "Failed"
    failed = _source_state(cp, name)["latestExecution"]
    assert failed["status"] == "Failed"
    assert arn in failed["summary"] and "PENDING" in failed["summary"]

    assert complete_connection(sandbox.url, arn)["ConnectionStatus"] == "AVAILABLE"
    assert _connections(sandbox).get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    pushed = push(sandbox.url, repo, "main", {"README.md": b"v1", "config/dev.json": b"{}"}, "seed")
    started = [s for s in pushed["startedExecutions"] if s["pipeline"] == name]
    assert started == [{"account": DEV, "region": REGION, "pipeline": name, "executionId": started[0]["executionId"]}]
    execution = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=started[0]["executionId"])[
        "pipelineExecution"
    ]
    assert execution["status"] == "InProgress"  # waiting at the approval
    assert execution["trigger"]["triggerType"] == "WebhookV2"
    assert execution["artifactRevisions"][0]["revisionId"] == pushed["commitId"]
    assert json.loads(execution["artifactRevisions"][0]["revisionSummary"])["CommitMessage"] == "seed"
    assert _source_state(cp, name)["latestExecution"]["status"] == "Succeeded"
    actions = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": started[0]["executionId"]})
    source = next(a for a in actions["actionExecutionDetails"] if a["actionName"] == "Source")
    assert source["output"]["outputVariables"]["CommitId"] == pushed["commitId"]
    assert source["output"]["outputVariables"]["FullRepositoryName"] == repo

    # Another branch starts nothing.
    assert push(sandbox.url, repo, "feature", {"README.md": b"x"}, "feature")["startedExecutions"] == []


def test_pipeline_role_needs_use_connection(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    arn = _connections(sandbox).create_connection(ProviderType="Bitbucket", ConnectionName=unique("c")[:32])[
        "ConnectionArn"
    ]
    complete_connection(sandbox.url, arn)
    repo = f"acme/{unique('nogrant')}"
    cp, name = _pipeline(sandbox, unique, {"ConnectionArn": arn, "FullRepositoryId": repo, "BranchName": "main"}, False)
    started = push(sandbox.url, repo, "main", {"a.txt": b"a"}, "m")["startedExecutions"]
    assert [s["pipeline"] for s in started] == [name]
    failed = _source_state(cp, name)["latestExecution"]
    assert failed["status"] == "Failed"
    assert "codestar-connections:UseConnection" in failed["summary"]


def test_detect_changes_false_and_bad_requests(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    arn = _connections(sandbox).create_connection(ProviderType="GitHub", ConnectionName=unique("c")[:32])[
        "ConnectionArn"
    ]
    complete_connection(sandbox.url, arn)
    repo = f"acme/{unique('quiet')}"
    config = {"ConnectionArn": arn, "FullRepositoryId": repo, "BranchName": "main", "DetectChanges": "false"}
    _pipeline(sandbox, unique, config, True)
    assert push(sandbox.url, repo, "main", {"a.txt": b"a"}, "m")["startedExecutions"] == []
    with pytest.raises(GitHostError, match="404"):
        complete_connection(sandbox.url, f"arn:aws:codestar-connections:{REGION}:{DEV}:connection/missing")
    with pytest.raises(GitHostError, match="owner"):
        push(sandbox.url, "no-owner", "main", {"a": b"a"}, "m")


def test_create_pipeline_needs_pass_connection(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    """Naming a connection in a pipeline passes it to CodePipeline: PassConnection, as iam:PassRole for roles."""
    arn = _connections(sandbox).create_connection(ProviderType="GitHub", ConnectionName=unique("c")[:32])[
        "ConnectionArn"
    ]
    base = [{"Effect": "Allow", "Action": ["codepipeline:CreatePipeline", "iam:PassRole"], "Resource": "*"}]
    passing = {
        "Effect": "Allow",
        "Action": "codestar-connections:PassConnection",
        "Resource": arn,
        "Condition": {"StringEquals": {"codestar-connections:PassedToService": "codepipeline.amazonaws.com"}},
    }
    config = {"ConnectionArn": arn, "FullRepositoryId": "acme/x", "BranchName": "main"}
    _, declared = _pipeline(sandbox, unique, config, True)
    spec = sandbox.client("codepipeline", account="dev").get_pipeline(name=declared)["pipeline"]
    for statements, allowed in ((base, False), ([*base, passing], True)):
        role = _limited_role(sandbox, unique, statements)
        creds = (
            sandbox.base_session()
            .client("sts", endpoint_url=sandbox.url)
            .assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/{role}", RoleSessionName="limited")["Credentials"]
        )
        cp = session_from(creds, REGION).client("codepipeline", endpoint_url=sandbox.url)
        pipeline = {**spec, "name": unique("passed")}
        if allowed:
            assert cp.create_pipeline(pipeline=pipeline)["pipeline"]["name"] == pipeline["name"]
        else:
            with pytest.raises(ClientError) as denied:
                cp.create_pipeline(pipeline=pipeline)
            assert _code(denied) == "AccessDeniedException"
            assert "codestar-connections:PassConnection" in str(denied.value)
