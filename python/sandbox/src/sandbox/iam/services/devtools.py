"""CodeCommit, CodeBuild, CodePipeline and ECR.

CodeCommit repositories are `arn:...:codecommit:<region>:<account>:<repo>`; CodeBuild projects `project/<name>`
and report groups `report-group/<name>`; CodePipeline pipelines `<pipeline>`, stages `<pipeline>/<stage>`,
actions `<pipeline>/<stage>/<action>`; ECR repositories `repository/<name>` in the registry's account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, Ctx, Rule, as_dict, as_list, as_str, dispatch, is_arn
from sandbox.iam.services.connections import connection_prefix

_LIST_STAR = ("List", "BatchGetRepositories")


def _references(call: Call) -> Ctx:
    """codecommit:References: the branch refs a write touches."""
    branch = call.param("branchName") or call.param("destinationBranch")
    return {"codecommit:references": (f"refs/heads/{branch}",)} if branch else {}


def codecommit_rules(call: Call) -> list[Authorization]:
    if call.param("resourceArn"):
        return [call.auth(call.param("resourceArn"))]
    names = [as_str(n) for n in as_list(call.params.get("repositoryNames"))]
    if names:
        return [call.auth(call.arn("codecommit", n)) for n in names]
    repo = call.param("repositoryName")
    if repo:
        return [call.auth(call.arn("codecommit", repo), context=_references(call))]
    return [call.star()] if call.operation.startswith(_LIST_STAR) else [call.unknown()]


def _project_arn(call: Call, name: str) -> str:
    """A project ARN from a project name or ARN, or from a build id / build ARN (`<project>:<uuid>`)."""
    if is_arn(name) and ":build/" in name:
        head, _, build = name.partition(":build/")
        return f"{head}:project/{build.split(':', 1)[0]}"
    if is_arn(name):
        return name
    return call.arn("codebuild", f"project/{name.split(':', 1)[0]}")


def _report_group_arn(call: Call, name: str) -> str:
    """A report group ARN from its name or ARN, or from a report ARN (`report/<group>:<uuid>`)."""
    if is_arn(name) and ":report/" in name:
        head, _, report = name.partition(":report/")
        return f"{head}:report-group/{report.split(':', 1)[0]}"
    return name if is_arn(name) else call.arn("codebuild", f"report-group/{name}")


def _codebuild_project(call: Call) -> list[Authorization]:
    name = call.param("name")
    arn = _project_arn(call, name) if name else ""
    out = [call.auth(arn) if arn else call.unknown()]
    role = call.param("serviceRole")
    if role:
        out.append(call.pass_role(role, "codebuild.amazonaws.com", associated=arn))
    return out


def codebuild_rules(call: Call) -> list[Authorization]:
    if call.operation in ("CreateProject", "UpdateProject", "DeleteProject"):
        return _codebuild_project(call)
    for param in ("names", "ids"):
        values = [as_str(v) for v in as_list(call.params.get(param))]
        if values and "Report" not in call.operation:
            return [call.auth(a) for a in dict.fromkeys(_project_arn(call, v) for v in values)]
    for param in ("projectName", "id"):
        if call.param(param):
            return [call.auth(_project_arn(call, call.param(param)))]
    if call.operation == "CreateReportGroup":
        return [call.auth(_report_group_arn(call, call.param("name")))]
    for param in ("reportGroupArn", "arn"):
        if call.param(param):
            return [call.auth(_report_group_arn(call, call.param(param)))]
    return [call.star()] if call.operation.startswith("List") else [call.unknown()]


def _pipeline_resource(call: Call) -> str:
    pipeline = call.param("pipelineName") or call.param("name")
    stage, action = call.param("stageName"), call.param("actionName")
    if not pipeline:
        return ""
    if stage and action:
        return call.arn("codepipeline", f"{pipeline}/{stage}/{action}")
    if stage:
        return call.arn("codepipeline", f"{pipeline}/{stage}")
    return call.arn("codepipeline", pipeline)


def _pipeline_write(call: Call) -> list[Authorization]:
    pipeline = as_dict(call.params.get("pipeline"))
    arn = call.arn("codepipeline", as_str(pipeline.get("name")))
    out = [call.auth(arn)]
    role = as_str(pipeline.get("roleArn"))
    if role:
        out.append(call.pass_role(role, "codepipeline.amazonaws.com", associated=arn))
    out += [_pass_connection(call, c) for c in _connection_arns(pipeline)]
    return out


def _connection_arns(pipeline: Mapping[str, Any]) -> list[str]:
    """The connections a pipeline's actions name (ConnectionArn), once each."""
    found: dict[str, None] = {}
    for stage in as_list(pipeline.get("stages")):
        for action in as_list(as_dict(stage).get("actions")):
            arn = as_str(as_dict(as_dict(action).get("configuration")).get("ConnectionArn"))
            if is_arn(arn):
                found[arn] = None
    return list(found)


def _pass_connection(call: Call, arn: str) -> Authorization:
    """<prefix>:PassConnection: handing a connection to CodePipeline, as iam:PassRole hands a role."""
    prefix = connection_prefix(arn)
    context = {f"{prefix}:passedtoservice": ("codepipeline.amazonaws.com",)}
    return call.auth(arn, f"{prefix}:PassConnection", context=context, tags=False)


def codepipeline_rules(call: Call) -> list[Authorization]:
    if call.operation in ("CreatePipeline", "UpdatePipeline"):
        return _pipeline_write(call)
    if call.param("resourceArn"):
        return [call.auth(call.param("resourceArn"))]
    resource = _pipeline_resource(call)
    if resource:
        return [call.auth(resource)]
    return [call.star()] if call.operation.startswith(("List", "Poll", "Put", "Acknowledge")) else [call.unknown()]


_ECR_RULES: dict[str, Rule] = {}


def _ecr_generic(call: Call) -> list[Authorization]:
    if call.operation == "GetAuthorizationToken" or call.operation.startswith("DescribeRegistry"):
        return [call.star()]
    if call.param("resourceArn"):
        return [call.auth(call.param("resourceArn"))]
    account = call.param("registryId") or call.account
    names = [as_str(n) for n in as_list(call.params.get("repositoryNames"))] or [call.param("repositoryName")]
    names = [n for n in names if n]
    if not names and call.operation == "DescribeRepositories":
        return [call.auth(call.arn("ecr", "repository/*", account=account))]  # every repository of the registry
    if not names:
        return [call.unknown()]
    out = [call.auth(call.arn("ecr", f"repository/{n}", account=account)) for n in names]
    if call.operation == "CreateRepository" and call.tag_context:
        out.append(call.auth(out[0].resource, "TagResource"))
    return out


def ecr_rules(call: Call) -> list[Authorization]:
    return dispatch(call, _ECR_RULES, _ecr_generic)
