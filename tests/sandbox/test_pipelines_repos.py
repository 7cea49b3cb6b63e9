"""CodePipeline executions and approvals, CodeCommit files and commits, and push events, in the sandbox."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.testing import ADMIN_POLICY, let_eventbridge_send
from tests.conftest import ACCOUNTS, REGION, Sandbox

DEV = ACCOUNTS["dev"]


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _action(name: str, category: str, provider: str, owner: str = "AWS", **config: str) -> dict[str, Any]:
    return {
        "name": name,
        "actionTypeId": {"category": category, "owner": owner, "provider": provider, "version": "1"},
        "configuration": config,
    }


def _create_pipeline(
    sandbox: Sandbox, unique: Callable[[str], str], mode: str = "QUEUED", repo: str | None = None
) -> tuple[Any, str]:
    iam: Any = sandbox.client("iam", account="dev")
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    role = unique("cp-role")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # The pipeline acts as this role when its actions run: these tests are about executions, not grants.
    iam.put_role_policy(RoleName=role, PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
    source = (
        _action("Source", "Source", "CodeCommit", RepositoryName=repo, BranchName="main")
        if repo
        else _action("Source", "Source", "S3", S3Bucket="b", S3ObjectKey="k")
    )
    name = unique("stage-pipeline")
    cp: Any = sandbox.client("codepipeline", account="dev")
    cp.create_pipeline(
        pipeline={
            "name": name,
            "roleArn": role_arn,
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "pipelineType": "V2",
            "executionMode": mode,
            "stages": [
                {"name": "Source", "actions": [source]},
                {"name": "Approve", "actions": [_action("ManualApproval", "Approval", "Manual")]},
                {"name": "Deploy", "actions": [_action("Deploy", "Build", "CodeBuild", ProjectName="deploy")]},
            ],
        }
    )
    return cp, name


def _stages(cp: Any, name: str) -> dict[str, dict[str, Any]]:
    return {s["stageName"]: s for s in cp.get_pipeline_state(name=name)["stageStates"]}


def _token(cp: Any, name: str) -> str:
    action = _stages(cp, name)["Approve"]["actionStates"][0]
    return str(action["latestExecution"]["token"])


def _status(cp: Any, name: str, execution_id: str) -> str:
    return str(
        cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)["pipelineExecution"]["status"]
    )


def test_manual_approval_gates_the_execution(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cp, name = _create_pipeline(sandbox, unique)
    execution_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]

    execution = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)["pipelineExecution"]
    assert execution["status"] == "InProgress"
    assert execution["executionMode"] == "QUEUED"
    assert execution["trigger"] == {
        "triggerType": "StartPipelineExecution",
        "triggerDetail": f"arn:aws:sts::{DEV}:assumed-role/OrganizationAccountAccessRole/tests",
    }
    stages = _stages(cp, name)
    assert stages["Source"]["latestExecution"] == {
        "pipelineExecutionId": execution_id,
        "status": "Succeeded",
        "type": "STANDARD",
    }
    approval = stages["Approve"]["actionStates"][0]
    assert stages["Approve"]["latestExecution"]["status"] == "InProgress"
    assert approval["actionName"] == "ManualApproval"
    assert approval["latestExecution"]["status"] == "InProgress"
    assert approval["latestExecution"]["token"]
    assert stages["Deploy"]["actionStates"] == [{"actionName": "Deploy"}]
    assert "latestExecution" not in stages["Deploy"]

    result = {"summary": "ship it", "status": "Approved"}
    bad = {"pipelineName": name, "stageName": "Approve", "actionName": "ManualApproval", "result": result}
    with pytest.raises(ClientError) as exc:
        cp.put_approval_result(**bad, token="not-the-token")
    assert _code(exc) == "InvalidApprovalTokenException"
    with pytest.raises(ClientError) as exc:
        cp.put_approval_result(**{**bad, "stageName": "Nope"}, token=_token(cp, name))
    assert _code(exc) == "StageNotFoundException"
    with pytest.raises(ClientError) as exc:
        cp.put_approval_result(**{**bad, "actionName": "Nope"}, token=_token(cp, name))
    assert _code(exc) == "ActionNotFoundException"
    with pytest.raises(ClientError) as exc:
        cp.put_approval_result(**{**bad, "result": {"summary": "?", "status": "Maybe"}}, token=_token(cp, name))
    assert _code(exc) == "ValidationException"
    assert _status(cp, name, execution_id) == "InProgress"

    token = _token(cp, name)
    approved = cp.put_approval_result(**bad, token=token)
    assert approved["approvedAt"].year >= 2024
    assert _status(cp, name, execution_id) == "Succeeded"
    stages = _stages(cp, name)
    approval = stages["Approve"]["actionStates"][0]["latestExecution"]
    assert approval["status"] == "Succeeded"
    assert approval["summary"] == "ship it"
    assert "token" not in approval
    assert stages["Deploy"]["latestExecution"]["status"] == "Succeeded"
    assert stages["Deploy"]["actionStates"][0]["latestExecution"]["externalExecutionId"].startswith("deploy:")
    with pytest.raises(ClientError) as exc:
        cp.put_approval_result(**bad, token=token)
    assert _code(exc) == "ApprovalAlreadyCompletedException"


def test_rejection_fails_the_execution(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cp, name = _create_pipeline(sandbox, unique)
    execution_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    cp.put_approval_result(
        pipelineName=name,
        stageName="Approve",
        actionName="ManualApproval",
        result={"summary": "metrics regressed", "status": "Rejected"},
        token=_token(cp, name),
    )
    assert _status(cp, name, execution_id) == "Failed"
    stages = _stages(cp, name)
    assert stages["Approve"]["latestExecution"]["status"] == "Failed"
    assert stages["Approve"]["actionStates"][0]["latestExecution"]["summary"] == "metrics regressed"
    assert "latestExecution" not in stages["Deploy"]


def test_queued_executions_wait_for_the_approval_stage(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cp, name = _create_pipeline(sandbox, unique, mode="QUEUED")
    first = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    second = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    stages = _stages(cp, name)
    assert stages["Approve"]["latestExecution"]["pipelineExecutionId"] == first
    assert stages["Approve"]["inboundExecution"]["pipelineExecutionId"] == second

    summaries = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
    assert [(s["pipelineExecutionId"], s["status"]) for s in summaries] == [
        (second, "InProgress"),
        (first, "InProgress"),
    ]

    cp.put_approval_result(
        pipelineName=name,
        stageName="Approve",
        actionName="ManualApproval",
        result={"summary": "ok", "status": "Approved"},
        token=_token(cp, name),
    )
    assert _status(cp, name, first) == "Succeeded"
    stages = _stages(cp, name)
    assert stages["Approve"]["latestExecution"] == {
        "pipelineExecutionId": second,
        "status": "InProgress",
        "type": "STANDARD",
    }
    assert "inboundExecution" not in stages["Approve"]
    succeeded = cp.list_pipeline_executions(pipelineName=name, filter={"succeededInStage": {"stageName": "Deploy"}})
    assert [s["pipelineExecutionId"] for s in succeeded["pipelineExecutionSummaries"]] == [first]


def test_superseded_mode_keeps_only_the_newest_waiting_execution(
    sandbox: Sandbox, unique: Callable[[str], str]
) -> None:
    cp, name = _create_pipeline(sandbox, unique, mode="SUPERSEDED")
    first, second, third = (cp.start_pipeline_execution(name=name)["pipelineExecutionId"] for _ in range(3))
    assert _status(cp, name, second) == "Superseded"
    assert _status(cp, name, third) == "InProgress"
    assert _stages(cp, name)["Approve"]["inboundExecution"]["pipelineExecutionId"] == third

    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=first, abandon=True, reason="not this one")
    assert _status(cp, name, first) == "Stopped"
    assert _stages(cp, name)["Approve"]["latestExecution"]["pipelineExecutionId"] == third
    with pytest.raises(ClientError) as exc:
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=first)
    assert _code(exc) == "PipelineExecutionNotStoppableException"


def test_pipeline_errors_and_numeric_timestamps(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cp, name = _create_pipeline(sandbox, unique)
    with pytest.raises(ClientError) as exc:
        cp.get_pipeline_state(name=unique("missing"))
    assert _code(exc) == "PipelineNotFoundException"
    with pytest.raises(ClientError) as exc:
        cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId="00000000-0000-0000-0000-000000000000")
    assert _code(exc) == "PipelineExecutionNotFoundException"
    with pytest.raises(ClientError) as exc:
        cp.start_pipeline_execution(name=unique("missing"))
    assert _code(exc) == "PipelineNotFoundException"

    bodies: list[dict[str, Any]] = []
    cp.meta.events.register(
        "after-call.codepipeline.*", lambda http_response, **_: bodies.append(json.loads(http_response.content))
    )
    cp.start_pipeline_execution(name=name)
    cp.get_pipeline_state(name=name)
    cp.list_pipeline_executions(pipelineName=name)
    state, summaries = bodies[1], bodies[2]["pipelineExecutionSummaries"]
    assert isinstance(state["created"], float)
    assert isinstance(state["stageStates"][0]["actionStates"][0]["latestExecution"]["lastStatusChange"], float)
    assert isinstance(summaries[0]["startTime"], float)
    assert isinstance(summaries[0]["lastUpdateTime"], float)


# --- CodeCommit ---------------------------------------------------------------------------------------------


def _git_blob_id(content: bytes) -> str:
    return hashlib.sha1(f"blob {len(content)}\0".encode() + content, usedforsecurity=False).hexdigest()


def _seed(cc: Any, repo: str, create: bool = True) -> str:
    if create:
        cc.create_repository(repositoryName=repo)
    answer = cc.create_commit(
        repositoryName=repo,
        branchName="main",
        authorName="Terraform",
        email="platform@example.com",
        commitMessage="Seed stage repository",
        putFiles=[
            {"filePath": "config/dev.json", "fileContent": b'{"stage": "dev"}'},
            {"filePath": "buildspecs/deploy.yml", "fileContent": b"version: 0.2\n"},
            {"filePath": "/smoke/run.sh", "fileContent": b"#!/bin/sh\n", "fileMode": "EXECUTABLE"},
            {"filePath": "README.md", "fileContent": b"# stage repo\n"},
        ],
    )
    assert sorted(f["absolutePath"] for f in answer["filesAdded"]) == [
        "README.md",
        "buildspecs/deploy.yml",
        "config/dev.json",
        "smoke/run.sh",
    ]
    assert answer["filesUpdated"] == answer["filesDeleted"] == []
    return str(answer["commitId"])


def test_seed_a_repo_and_read_it_back(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cc: Any = sandbox.client("codecommit", account="dev")
    repo = unique("stage-repo")
    commit_id = _seed(cc, repo)

    assert cc.get_branch(repositoryName=repo, branchName="main")["branch"] == {
        "branchName": "main",
        "commitId": commit_id,
    }
    assert cc.list_branches(repositoryName=repo)["branches"] == ["main"]
    assert cc.get_repository(repositoryName=repo)["repositoryMetadata"]["defaultBranch"] == "main"

    got = cc.get_file(repositoryName=repo, filePath="config/dev.json")
    assert got["fileContent"] == b'{"stage": "dev"}'
    assert got["commitId"] == commit_id
    assert got["fileMode"] == "NORMAL"
    assert got["fileSize"] == len(b'{"stage": "dev"}')
    assert got["blobId"] == _git_blob_id(b'{"stage": "dev"}')
    by_commit = cc.get_file(repositoryName=repo, filePath="/smoke/run.sh", commitSpecifier=commit_id)
    assert by_commit["fileMode"] == "EXECUTABLE"

    root = cc.get_folder(repositoryName=repo, folderPath="/")
    assert root["commitId"] == commit_id
    assert [f["relativePath"] for f in root["files"]] == ["README.md"]
    assert [f["absolutePath"] for f in root["subFolders"]] == ["buildspecs", "config", "smoke"]
    config = cc.get_folder(repositoryName=repo, folderPath="config", commitSpecifier="main")
    assert config["files"] == [
        {
            "blobId": got["blobId"],
            "absolutePath": "config/dev.json",
            "relativePath": "dev.json",
            "fileMode": "NORMAL",
        }
    ]
    assert config["treeId"] == next(f["treeId"] for f in root["subFolders"] if f["relativePath"] == "config")

    commit = cc.get_commit(repositoryName=repo, commitId=commit_id)["commit"]
    assert commit["message"] == "Seed stage repository"
    assert commit["parents"] == []
    assert commit["author"]["name"] == "Terraform"
    assert commit["author"]["email"] == "platform@example.com"
    assert commit["treeId"] == root["treeId"]


def test_commit_parent_checks_and_file_errors(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cc: Any = sandbox.client("codecommit", account="dev")
    repo = unique("checks-repo")
    first = _seed(cc, repo)
    change = {"putFiles": [{"filePath": "config/dev.json", "fileContent": b'{"stage": "dev", "v": 2}'}]}

    for kwargs, code in (
        ({}, "ParentCommitIdRequiredException"),
        ({"parentCommitId": "abc"}, "InvalidParentCommitIdException"),
        ({"parentCommitId": "0" * 40}, "ParentCommitDoesNotExistException"),
        ({"parentCommitId": first, "branchName": "release"}, "BranchDoesNotExistException"),
    ):
        with pytest.raises(ClientError) as exc:
            cc.create_commit(**{"repositoryName": repo, "branchName": "main", **change, **kwargs})
        assert _code(exc) == code, kwargs

    second = cc.create_commit(repositoryName=repo, branchName="main", parentCommitId=first, **change)
    assert [f["absolutePath"] for f in second["filesUpdated"]] == ["config/dev.json"]
    with pytest.raises(ClientError) as exc:
        cc.create_commit(repositoryName=repo, branchName="main", parentCommitId=first, **change)
    assert _code(exc) == "ParentCommitIdOutdatedException"
    head = second["commitId"]
    with pytest.raises(ClientError) as exc:
        cc.create_commit(repositoryName=repo, branchName="main", parentCommitId=head, **change)
    assert _code(exc) == "NoChangeException"
    with pytest.raises(ClientError) as exc:
        cc.create_commit(
            repositoryName=repo, branchName="main", parentCommitId=head, deleteFiles=[{"filePath": "nope.txt"}]
        )
    assert _code(exc) == "FileDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        cc.create_commit(repositoryName=repo, branchName="main", parentCommitId=head)
    assert _code(exc) == "FileEntryRequiredException"

    third = cc.create_commit(
        repositoryName=repo,
        branchName="main",
        parentCommitId=head,
        deleteFiles=[{"filePath": "README.md"}],
        putFiles=[{"filePath": "docs/README.md", "sourceFile": {"filePath": "README.md", "isMove": False}}],
    )
    assert [f["absolutePath"] for f in third["filesDeleted"]] == ["README.md"]
    assert [f["absolutePath"] for f in third["filesAdded"]] == ["docs/README.md"]
    assert cc.get_file(repositoryName=repo, filePath="docs/README.md")["fileContent"] == b"# stage repo\n"
    diff = cc.get_differences(repositoryName=repo, beforeCommitSpecifier=first, afterCommitSpecifier="main")
    assert sorted((d["changeType"], (d.get("afterBlob") or d["beforeBlob"])["path"]) for d in diff["differences"]) == [
        ("A", "docs/README.md"),
        ("D", "README.md"),
        ("M", "config/dev.json"),
    ]

    with pytest.raises(ClientError) as exc:
        cc.get_file(repositoryName=repo, filePath="README.md")
    assert _code(exc) == "FileDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        cc.get_file(repositoryName=repo, filePath="README.md", commitSpecifier="no-such-branch")
    assert _code(exc) == "CommitDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        cc.get_folder(repositoryName=repo, folderPath="nope")
    assert _code(exc) == "FolderDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        cc.get_branch(repositoryName=repo, branchName="release")
    assert _code(exc) == "BranchDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        cc.get_commit(repositoryName=repo, commitId="f" * 40)
    assert _code(exc) == "CommitIdDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        cc.get_file(repositoryName=unique("missing-repo"), filePath="a")
    assert _code(exc) == "RepositoryDoesNotExistException"


def test_put_file(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cc: Any = sandbox.client("codecommit", account="dev")
    repo = unique("putfile-repo")
    cc.create_repository(repositoryName=repo)
    first = cc.put_file(repositoryName=repo, branchName="main", filePath="a/b.txt", fileContent=b"one")
    assert first["blobId"] == _git_blob_id(b"one")
    with pytest.raises(ClientError) as exc:
        cc.put_file(repositoryName=repo, branchName="main", filePath="a/b.txt", fileContent=b"two")
    assert _code(exc) == "ParentCommitIdRequiredException"
    with pytest.raises(ClientError) as exc:
        cc.put_file(
            repositoryName=repo,
            branchName="main",
            filePath="a/b.txt",
            fileContent=b"one",
            parentCommitId=first["commitId"],
        )
    assert _code(exc) == "SameFileContentException"
    with pytest.raises(ClientError) as exc:
        cc.put_file(
            repositoryName=repo, branchName="main", filePath="a", fileContent=b"x", parentCommitId=first["commitId"]
        )
    assert _code(exc) == "FileNameConflictsWithDirectoryNameException"
    second = cc.put_file(
        repositoryName=repo,
        branchName="main",
        filePath="a/b.txt",
        fileContent=b"two",
        parentCommitId=first["commitId"],
        commitMessage="second",
    )
    assert cc.get_file(repositoryName=repo, filePath="a/b.txt")["fileContent"] == b"two"
    assert cc.get_commit(repositoryName=repo, commitId=second["commitId"])["commit"]["parents"] == [first["commitId"]]


def test_commits_put_repository_state_change_events(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    events: Any = sandbox.client("events", account="dev")
    sqs: Any = sandbox.client("sqs", account="dev")
    cc: Any = sandbox.client("codecommit", account="dev")
    repo = unique("evt-repo")
    repo_arn = cc.create_repository(repositoryName=repo)["repositoryMetadata"]["Arn"]
    url = sqs.create_queue(QueueName=unique("pushes"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    let_eventbridge_send(sqs, url, queue_arn)
    rule = unique("on-push")
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.codecommit"],
                "detail-type": ["CodeCommit Repository State Change"],
                "resources": [repo_arn],
                "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceName": ["main"]},
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])

    first = _seed(cc, repo, create=False)
    second = cc.put_file(
        repositoryName=repo, branchName="main", filePath="x.txt", fileContent=b"x", parentCommitId=first
    )["commitId"]
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert [b["detail"]["event"] for b in bodies] == ["referenceCreated", "referenceUpdated"]
    created, updated = bodies
    assert created["source"] == "aws.codecommit"
    assert created["account"] == DEV
    assert created["region"] == REGION
    assert created["resources"] == [repo_arn]
    assert created["detail"]["repositoryName"] == repo
    assert created["detail"]["referenceType"] == "branch"
    assert created["detail"]["referenceFullName"] == "refs/heads/main"
    assert created["detail"]["commitId"] == first
    assert created["detail"]["callerUserArn"] == f"arn:aws:sts::{DEV}:assumed-role/OrganizationAccountAccessRole/tests"
    assert "oldCommitId" not in created["detail"]
    assert updated["detail"]["commitId"] == second
    assert updated["detail"]["oldCommitId"] == first


def test_push_starts_the_pipeline_on_that_commit(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cc: Any = sandbox.client("codecommit", account="dev")
    repo = unique("pipe-repo")
    repo_arn = cc.create_repository(repositoryName=repo)["repositoryMetadata"]["Arn"]
    cp, name = _create_pipeline(sandbox, unique, repo=repo)
    events: Any = sandbox.client("events", account="dev")
    rule = unique("push-to-pipeline")
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {"source": ["aws.codecommit"], "resources": [repo_arn], "detail": {"referenceName": ["main"]}}
        ),
    )
    # EventBridge starts a pipeline as the target's role, which CodePipeline targets must name.
    sandbox.ensure_admin_role(DEV, "events-start-pipeline")
    target = {
        "Id": "p",
        "Arn": f"arn:aws:codepipeline:{REGION}:{DEV}:{name}",
        "RoleArn": f"arn:aws:iam::{DEV}:role/events-start-pipeline",
    }
    events.put_targets(Rule=rule, Targets=[target])

    commit_id = _seed(cc, repo, create=False)
    [summary] = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
    assert summary["trigger"]["triggerType"] == "CloudWatchEvent"
    assert summary["sourceRevisions"] == [
        {"actionName": "Source", "revisionId": commit_id, "revisionSummary": "Seed stage repository"}
    ]
    source = _stages(cp, name)["Source"]["actionStates"][0]
    assert source["currentRevision"]["revisionId"] == commit_id
