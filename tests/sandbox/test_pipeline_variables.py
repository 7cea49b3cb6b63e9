"""CodePipeline variables in the sandbox: namespaced CodeBuild actions wait for their build's outcome and export
variables, `#{Namespace.Variable}` references resolve when an action starts, and EventBridge starts CodeBuild."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from sandbox.testing import ADMIN_POLICY
from tests.conftest import ACCOUNTS, REGION, Sandbox

DEV = ACCOUNTS["dev"]
UNRESOLVED = "An action in this pipeline failed because one or more variables could not be resolved: Action name="


def _action(name: str, category: str, provider: str, namespace: str | None = None, **config: str) -> dict[str, Any]:
    action: dict[str, Any] = {
        "name": name,
        "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
        "configuration": config,
    }
    if namespace:
        action["namespace"] = namespace
    return action


def _role(sandbox: Sandbox, unique: Callable[[str], str], service: str, policy: dict[str, Any]) -> str:
    iam: Any = sandbox.client("iam", account="dev")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    role = unique("role")
    arn = str(iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    iam.put_role_policy(RoleName=role, PolicyName="policy", PolicyDocument=json.dumps(policy))
    return arn


def _plan_pipeline(sandbox: Sandbox, unique: Callable[[str], str], custom_data: str) -> tuple[Any, str, str]:
    """CodeCommit source (namespace SourceVariables) -> Plan build (namespace Plan) -> approval; (cp, name, commit)."""
    cc: Any = sandbox.client("codecommit", account="dev")
    repo = unique("plan-repo")
    cc.create_repository(repositoryName=repo)
    commit = str(cc.put_file(repositoryName=repo, branchName="main", filePath="v.txt", fileContent=b"1")["commitId"])
    source = _action("Source", "Source", "CodeCommit", "SourceVariables", RepositoryName=repo, BranchName="main")
    env = json.dumps([{"name": "COMMIT", "value": "#{SourceVariables.CommitId}", "type": "PLAINTEXT"}])
    plan = _action("Plan", "Build", "CodeBuild", "Plan", ProjectName="plan", EnvironmentVariables=env)
    approve = _action("Approve", "Approval", "Manual", CustomData=custom_data)
    name = unique("vars-pipeline")
    cp: Any = sandbox.client("codepipeline", account="dev")
    cp.create_pipeline(
        pipeline={
            "name": name,
            "roleArn": _role(sandbox, unique, "codepipeline.amazonaws.com", ADMIN_POLICY),
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "pipelineType": "V2",
            "stages": [
                {"name": "Source", "actions": [source]},
                {"name": "Plan", "actions": [plan]},
                {"name": "Approval", "actions": [approve]},
            ],
        }
    )
    return cp, name, commit


def _report(sandbox: Sandbox, name: str, execution_id: str, **fields: Any) -> tuple[int, dict[str, Any]]:
    body = {"account": DEV, "region": REGION, "pipeline": name, "execution_id": execution_id, "stage": "Plan",
            "action": "Plan", **fields}  # fmt: skip
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/codepipeline/action-result", data=json.dumps(body).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status), dict(json.loads(answer.read()))
    except urllib.error.HTTPError as exc:
        return exc.code, dict(json.loads(exc.read()))


def _details(cp: Any, name: str, execution_id: str) -> dict[str, dict[str, Any]]:
    answer = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": execution_id})
    return {d["actionName"]: d for d in answer["actionExecutionDetails"]}


def _status(cp: Any, name: str, execution_id: str) -> str:
    execution = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)["pipelineExecution"]
    return str(execution["status"])


def test_plan_build_waits_then_its_variables_reach_the_approval(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cp, name, commit = _plan_pipeline(
        sandbox, unique, "Deploy #{Plan.CANDIDATE_VERSION} (#{codepipeline.PipelineExecutionId})"
    )
    execution_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]

    stages = {s["stageName"]: s for s in cp.get_pipeline_state(name=name)["stageStates"]}
    assert stages["Plan"]["actionStates"][0]["latestExecution"]["status"] == "InProgress"
    assert "latestExecution" not in stages["Approval"]
    details = _details(cp, name, execution_id)
    assert set(details) == {"Source", "Plan"}
    assert details["Source"]["output"]["outputVariables"]["CommitId"] == commit
    assert details["Source"]["output"]["outputVariables"]["BranchName"] == "main"
    plan = details["Plan"]
    assert plan["status"] == "InProgress"
    assert plan["stageName"] == "Plan"
    assert plan["input"]["namespace"] == "Plan"
    assert "#{SourceVariables.CommitId}" in plan["input"]["configuration"]["EnvironmentVariables"]
    assert commit in plan["input"]["resolvedConfiguration"]["EnvironmentVariables"]

    code, answer = _report(sandbox, name, execution_id, status="Succeeded", variables={"CANDIDATE_VERSION": "7"},
                           summary="plan: version 7")  # fmt: skip
    assert code == 200 and answer["actionState"]["latestExecution"]["status"] == "Succeeded"
    assert _status(cp, name, execution_id) == "InProgress"
    details = _details(cp, name, execution_id)
    assert details["Plan"]["output"]["outputVariables"] == {"CANDIDATE_VERSION": "7"}
    assert details["Plan"]["output"]["executionResult"]["externalExecutionSummary"] == "plan: version 7"
    approval = details["Approve"]
    assert approval["status"] == "InProgress"
    assert approval["input"]["configuration"]["CustomData"].startswith("Deploy #{Plan.CANDIDATE_VERSION}")
    assert approval["input"]["resolvedConfiguration"]["CustomData"] == f"Deploy 7 ({execution_id})"
    newest_first = cp.list_action_executions(pipelineName=name)["actionExecutionDetails"]
    assert [d["actionName"] for d in newest_first] == ["Approve", "Plan", "Source"]

    # The build ran once: a second report, or one for the approval, is refused.
    assert _report(sandbox, name, execution_id, status="Succeeded")[0] == 409
    assert _report(sandbox, name, execution_id, stage="Approval", action="Approve", status="Succeeded")[0] == 409
    assert _report(sandbox, name, execution_id, status="Done")[0] == 400
    assert _report(sandbox, name, "no-such-execution", status="Succeeded")[0] == 404


def test_failed_plan_build_fails_the_execution(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cp, name, _ = _plan_pipeline(sandbox, unique, "Deploy #{Plan.CANDIDATE_VERSION}")
    execution_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]

    code, _ = _report(sandbox, name, execution_id, status="Failed", summary="terraform plan failed")
    assert code == 200
    assert _status(cp, name, execution_id) == "Failed"
    stages = {s["stageName"]: s for s in cp.get_pipeline_state(name=name)["stageStates"]}
    assert stages["Plan"]["latestExecution"]["status"] == "Failed"
    assert stages["Plan"]["actionStates"][0]["latestExecution"]["summary"] == "terraform plan failed"
    assert "latestExecution" not in stages["Approval"]
    plan = _details(cp, name, execution_id)["Plan"]
    assert plan["status"] == "Failed"
    assert plan["output"]["outputVariables"] == {}
    assert plan["output"]["executionResult"]["errorDetails"]["message"] == "terraform plan failed"


def test_unknown_variable_fails_the_action(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cp, name, _ = _plan_pipeline(sandbox, unique, "Deploy #{Plan.NOT_EXPORTED}")
    execution_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert _report(sandbox, name, execution_id, status="Succeeded", variables={"CANDIDATE_VERSION": "7"})[0] == 200

    assert _status(cp, name, execution_id) == "Failed"
    approval = _details(cp, name, execution_id)["Approve"]
    assert approval["status"] == "Failed"
    assert approval["output"]["executionResult"]["externalExecutionSummary"] == UNRESOLVED + "Approve"
    stages = {s["stageName"]: s for s in cp.get_pipeline_state(name=name)["stageStates"]}
    assert stages["Approval"]["actionStates"][0]["latestExecution"]["summary"] == UNRESOLVED + "Approve"


def _build_project(sandbox: Sandbox, unique: Callable[[str], str]) -> tuple[Any, str]:
    cb: Any = sandbox.client("codebuild", account="dev")
    project = unique("on-rejection")
    cb.create_project(
        name=project,
        source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=_role(sandbox, unique, "codebuild.amazonaws.com", ADMIN_POLICY),
    )
    return cb, project


def test_eventbridge_rule_starts_a_codebuild_build(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    cb, project = _build_project(sandbox, unique)
    project_arn = f"arn:aws:codebuild:{REGION}:{DEV}:project/{project}"
    may_start = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "codebuild:StartBuild", "Resource": project_arn}],
    }
    may_not = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "codebuild:BatchGetBuilds", "Resource": project_arn}],
    }
    events: Any = sandbox.client("events", account="dev")
    source = unique("sandbox.registry")
    for target_id, policy in (("allowed", may_start), ("refused", may_not)):
        rule = unique(f"rejected-{target_id}")
        events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
        role = _role(sandbox, unique, "events.amazonaws.com", policy)
        events.put_targets(Rule=rule, Targets=[{"Id": target_id, "Arn": project_arn, "RoleArn": role}])
    assert cb.list_builds_for_project(projectName=project)["ids"] == []

    entry = {"Source": source, "DetailType": "Model Rejected", "Detail": json.dumps({"version": 3})}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0

    [build_id] = cb.list_builds_for_project(projectName=project)["ids"]  # the refused target started nothing
    [build] = cb.batch_get_builds(ids=[build_id])["builds"]
    assert build["projectName"] == project


def _build_result(sandbox: Sandbox, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/codebuild/build-result", data=json.dumps(payload).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_started_build_runs_until_its_runner_reports(sandbox: Sandbox, unique: Callable[[str], str]) -> None:
    """A build started with StartBuild is IN_PROGRESS until the build runner says how it ended (stock moto
    answered SUCCEEDED at the first read, for a build that never ran)."""
    cb, project = _build_project(sandbox, unique)
    build_id = cb.start_build(projectName=project)["build"]["id"]
    for _ in range(2):  # reading it does not finish it
        [build] = cb.batch_get_builds(ids=[build_id])["builds"]
        assert (build["buildStatus"], build["currentPhase"], build["buildComplete"]) == ("IN_PROGRESS", "BUILD", False)
        assert "endTime" not in build
    assert _build_result(sandbox, {"build_id": build_id, "status": "DONE"})[0] == 400
    assert _build_result(sandbox, {"build_id": f"{project}:no-such-build", "status": "FAILED"})[0] == 404
    assert _build_result(sandbox, {"build_id": build_id, "status": "FAILED"}) == (
        200,
        {"id": build_id, "buildStatus": "FAILED"},
    )
    [build] = cb.batch_get_builds(ids=[build_id])["builds"]
    assert (build["buildStatus"], build["currentPhase"], build["buildComplete"]) == ("FAILED", "COMPLETED", True)
    assert build["endTime"]
