"""Action outcomes and action history: the build runner's report, and ListActionExecutions.

A CodeBuild action with a namespace stays InProgress until the local build runner, standing for CodeBuild
itself, reports how its build ended: `POST /_sandbox/codepipeline/action-result` with {"account", "region",
"pipeline", "execution_id", "stage", "action", "status": "Succeeded"|"Failed", "variables", "summary"}.
Succeeded records the exported variables as the action's output variables; Failed fails the action, its
stage and the execution, as a failed build does. No IAM: it is not an AWS API.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.codepipeline.exceptions import PipelineExecutionNotFoundException
from moto.codepipeline.models import CodePipeline, codepipeline_backends
from moto.codepipeline.responses import CodePipelineResponse

from sandbox.ext import _patch
from sandbox.ext._pipeline_engine import advance, executions, find_pipeline
from sandbox.ext._pipeline_runs import ActionRun, Execution

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
RESULT_PATH = "/_sandbox/codepipeline/action-result"


class ResultError(Exception):
    """A report the sandbox cannot apply: (HTTP status, message)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def _waiting_action(pipeline: CodePipeline, request: dict[str, Any]) -> tuple[Execution, ActionRun]:
    execution = pipeline.executions.get(str(request.get("execution_id", "")))
    if not isinstance(execution, Execution):
        raise ResultError("404 Not Found", f"no execution {request.get('execution_id')} of {request.get('pipeline')}")
    run = execution.stages.get(str(request.get("stage", "")))
    action = next((a for a in run.actions if a.name == request.get("action")), None) if run else None
    if action is None:
        raise ResultError("404 Not Found", f"action {request.get('stage')}/{request.get('action')} has not started")
    if action.status != "InProgress" or action.token is not None or execution.status != "InProgress":
        raise ResultError("409 Conflict", f"action {action.name} is not waiting for a build result ({action.status})")
    return execution, action


def record(request: dict[str, Any]) -> dict[str, Any]:
    """Apply one build outcome and move the execution on; the action's new state."""
    status = request.get("status")
    if status not in ("Succeeded", "Failed"):
        raise ResultError("400 Bad Request", f"status must be Succeeded or Failed, not {status!r}")
    account, region = str(request.get("account", "")), str(request.get("region", ""))
    try:
        backend = codepipeline_backends[account][region]
        pipeline = find_pipeline(backend, str(request.get("pipeline", "")))
    except Exception as exc:
        raise ResultError("404 Not Found", str(getattr(exc, "message", exc))) from None
    execution, action = _waiting_action(pipeline, request)
    variables = request.get("variables") or {}
    if not isinstance(variables, dict):
        raise ResultError("400 Bad Request", "variables must be an object of names to values")
    action.status = str(status)
    action.summary = str(request.get("summary") or "") or None
    action.last_change = time.time()
    if status == "Succeeded":
        action.output_variables = {str(k): str(v) for k, v in variables.items()}
    execution.touch()
    log.info("pipeline %s: build of %s/%s %s in %s", pipeline.pipeline["name"], request.get("stage"), action.name,
             status, execution.execution_id)  # fmt: skip
    advance(pipeline, account, region)
    return action.state()


def _answer(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def wrap(app: WSGIApp) -> WSGIApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != RESULT_PATH or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        length = str(environ.get("CONTENT_LENGTH") or "0")
        raw = environ["wsgi.input"].read(int(length)) if length.isdigit() else b""
        try:
            request = json.loads(raw or b"{}")
            if not isinstance(request, dict):
                raise ResultError("400 Bad Request", "the body must be a JSON object")
            return _answer(start_response, "200 OK", {"actionState": record(request)})
        except ValueError:
            return _answer(start_response, "400 Bad Request", {"error": "the body is not JSON"})
        except ResultError as exc:
            return _answer(start_response, exc.status, {"error": str(exc)})

    return middleware


def _detail(execution: Execution, stage: str, action: ActionRun) -> dict[str, Any]:
    spec = action.spec
    result: dict[str, Any] = {}
    if action.external_id:
        result["externalExecutionId"] = action.external_id
    if action.summary:
        result["externalExecutionSummary"] = action.summary
    if action.status == "Failed":
        result["errorDetails"] = {"code": "JobFailed", "message": action.summary or ""}
    action_input: dict[str, Any] = {
        "actionTypeId": dict(spec.get("actionTypeId") or {}),
        "configuration": {k: str(v) for k, v in action.configuration.items()},
        "resolvedConfiguration": {k: str(v) for k, v in (action.resolved or {}).items()},
        "inputArtifacts": [{"name": a["name"]} for a in spec.get("inputArtifacts") or []],
    }
    for key in ("roleArn", "region", "namespace"):
        if spec.get(key):
            action_input[key] = spec[key]
    detail: dict[str, Any] = {
        "pipelineExecutionId": execution.execution_id,
        "actionExecutionId": action.execution_id,
        "pipelineVersion": execution.pipeline_version,
        "stageName": stage,
        "actionName": action.name,
        "startTime": action.start_time,
        "lastUpdateTime": action.last_change,
        "status": action.status,
        "input": action_input,
        "output": {
            "outputArtifacts": [{"name": a["name"]} for a in spec.get("outputArtifacts") or []],
            "executionResult": result,
            "outputVariables": dict(action.output_variables),
        },
    }
    if action.updated_by:
        detail["updatedBy"] = action.updated_by
    return detail


def list_action_executions(self: CodePipelineResponse) -> str:
    backend = self.codepipeline_backend
    name = _patch.param(self, "pipelineName")
    pipeline = find_pipeline(backend, name)
    wanted = (_patch.param(self, "filter") or {}).get("pipelineExecutionId")
    runs = executions(pipeline)
    if wanted:
        runs = [e for e in runs if e.execution_id == wanted]
        if not runs:
            raise PipelineExecutionNotFoundException(
                f"Account '{backend.account_id}' does not have an execution with id '{wanted}' for pipeline '{name}'"
            )
    details = [
        _detail(execution, stage, action)
        for execution in runs
        for stage, run in execution.stages.items()
        for action in run.actions
        if action.status != "Pending"
    ]
    details.reverse()  # newest first, as AWS lists them (a stable sort keeps later starts first on ties)
    details.sort(key=lambda d: float(d["startTime"]), reverse=True)
    max_results = int(_patch.param(self, "maxResults") or 100)
    return json.dumps({"actionExecutionDetails": details[:max_results]})
