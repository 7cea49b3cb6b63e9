"""CodePipeline executions that walk their stages, wait at manual approvals and report state as AWS does.

moto marks every execution Succeeded at once and has no GetPipelineState or PutApprovalResult. Here an
execution enters its stages in order (`_pipeline_engine`): manual approval actions wait (InProgress, with a
token) for PutApprovalResult; a CodeBuild action with a namespace waits for the build runner's outcome and
records its output variables (`_pipeline_results`, which also answers ListActionExecutions); every other
action succeeds when reached, because in the sandbox the demo runs the builds itself. A rejection fails the
action, its stage and the execution.

A stage holds one execution at a time, as in AWS: the next execution waits before it (inboundExecution).
Executions (`_pipeline_runs`) live on moto's pipeline objects, so /moto-api/reset and DeletePipeline drop
them. This module answers the API and installs the handlers.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC
from typing import Any

from moto.codepipeline.exceptions import PipelineExecutionNotFoundException
from moto.codepipeline.models import CodePipeline, CodePipelineBackend
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.exceptions import JsonRESTError

from sandbox.ext import _patch, _pipeline_results, _policy
from sandbox.ext._pipeline_engine import advance, executions, find_pipeline, release, stage_locks, start
from sandbox.ext._pipeline_engine import start_from_event as start_from_event  # the EventBridge target (events.py)
from sandbox.ext._pipeline_runs import ActionRun, Execution

log = logging.getLogger(__name__)

wrap = _pipeline_results.wrap  # POST /_sandbox/codepipeline/action-result: the build runner's outcome


class _Error(JsonRESTError):  # type: ignore[misc]
    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


def _caller(response: CodePipelineResponse) -> str:
    return _policy.caller_for(response.current_account, response.get_access_key(), response.region).arn


def start_pipeline_execution(self: CodePipelineResponse) -> str:
    execution_id = start(
        self.codepipeline_backend,
        _patch.param(self, "name"),
        _patch.param(self, "variables"),
        {"triggerType": "StartPipelineExecution", "triggerDetail": _caller(self)},
    )
    return json.dumps({"pipelineExecutionId": execution_id})


def _serialized_execution(execution: Any) -> Any:
    return execution.to_dict()


def get_pipeline_execution(self: CodePipelineResponse) -> str:
    execution = self.codepipeline_backend.get_pipeline_execution(
        _patch.param(self, "pipelineName"), _patch.param(self, "pipelineExecutionId")
    )
    return json.dumps({"pipelineExecution": _serialized_execution(execution)})


def list_pipeline_executions(self: CodePipelineResponse) -> str:
    pipeline = find_pipeline(self.codepipeline_backend, _patch.param(self, "pipelineName"))
    runs = list(reversed(list(pipeline.executions.values())))
    wanted = (_patch.param(self, "filter") or {}).get("succeededInStage", {}).get("stageName")
    if wanted:
        runs = [
            e for e in runs if isinstance(e, Execution) and getattr(e.stages.get(wanted), "status", "") == "Succeeded"
        ]
    max_results = _patch.param(self, "maxResults") or 100
    return json.dumps({"pipelineExecutionSummaries": [e.to_summary_dict() for e in runs[: int(max_results)]]})


def _stage_state(pipeline: CodePipeline, stage: dict[str, Any], by_id: dict[str, Execution]) -> dict[str, Any]:
    name = stage["name"]
    state: dict[str, Any] = {"stageName": name, "inboundTransitionState": {"enabled": True}}
    latest = by_id.get(pipeline.sandbox_stage_latest.get(name, ""))
    run = latest.stages.get(name) if latest else None
    if latest is not None and run is not None:
        status = run.status
        if latest.status in ("Stopped", "Superseded") and status == "InProgress":
            status = "Stopped"
        state["latestExecution"] = {"pipelineExecutionId": latest.execution_id, "status": status, "type": "STANDARD"}
        state["actionStates"] = [a.state() if a.status != "Pending" else {"actionName": a.name} for a in run.actions]
    else:
        state["actionStates"] = [{"actionName": a["name"]} for a in stage["actions"]]
    inbound = [e for e in by_id.values() if e.status == "InProgress" and e.waiting_for == name]
    if inbound:
        entries = [{"pipelineExecutionId": e.execution_id, "status": "InProgress", "type": "STANDARD"} for e in inbound]
        state["inboundExecution"] = entries[0]
        state["inboundExecutions"] = entries
    return state


def get_pipeline_state(self: CodePipelineResponse) -> str:
    pipeline = find_pipeline(self.codepipeline_backend, _patch.param(self, "name"))
    stage_locks(pipeline)  # sets up sandbox_stage_latest on a pipeline that never ran
    by_id = {e.execution_id: e for e in executions(pipeline)}
    stage_states = [_stage_state(pipeline, stage, by_id) for stage in pipeline.pipeline["stages"]]
    # moto keeps naive UTC datetimes.
    created = pipeline._created.replace(tzinfo=UTC).timestamp()
    updated = pipeline._updated.replace(tzinfo=UTC).timestamp()
    return json.dumps(
        {
            "pipelineName": pipeline.pipeline["name"],
            "pipelineVersion": pipeline.pipeline.get("version", 1),
            "stageStates": stage_states,
            "created": created,
            "updated": updated,
        }
    )


def _approval_target(
    pipeline: CodePipeline, token: str | None, stage_name: str, action_name: str
) -> tuple[Execution, ActionRun] | None:
    """(execution, action) whose approval `token` names, or None; an action it names must still be waiting."""
    for execution in executions(pipeline):
        run = execution.stages.get(stage_name)
        action: ActionRun | None = next((a for a in run.actions if a.name == action_name), None) if run else None
        if action is None or action.token != token:
            continue
        if action.status != "InProgress" or execution.status != "InProgress":
            raise _Error(
                "ApprovalAlreadyCompletedException", f"Approval for action {action_name} was already completed"
            )
        return execution, action
    return None


def _check_approval_action(pipeline: CodePipeline, pipeline_name: str, stage_name: str, action_name: str) -> None:
    stage = next((s for s in pipeline.pipeline["stages"] if s["name"] == stage_name), None)
    if stage is None:
        raise _Error("StageNotFoundException", f"Stage {stage_name} was not found in pipeline {pipeline_name}")
    declared = next((a for a in stage["actions"] if a["name"] == action_name), None)
    if declared is None or declared["actionTypeId"]["category"] != "Approval":
        raise _Error("ActionNotFoundException", f"Action {action_name} was not found in stage {stage_name}")


def put_approval_result(self: CodePipelineResponse) -> str:
    backend = self.codepipeline_backend
    pipeline_name = _patch.param(self, "pipelineName")
    stage_name = _patch.param(self, "stageName")
    action_name = _patch.param(self, "actionName")
    result = _patch.param(self, "result") or {}
    token = _patch.param(self, "token")
    status = result.get("status")
    if status not in ("Approved", "Rejected"):
        raise _Error(
            "ValidationException",
            f"1 validation error detected: Value '{status}' at 'result.status' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Approved, Rejected]",
        )
    pipeline = find_pipeline(backend, pipeline_name)
    _check_approval_action(pipeline, pipeline_name, stage_name, action_name)
    target = _approval_target(pipeline, token, stage_name, action_name)
    if target is None:
        raise _Error(
            "InvalidApprovalTokenException",
            f"The approval action {action_name} in stage {stage_name} of pipeline {pipeline_name} has no token {token}",
        )
    execution, action = target
    now = time.time()
    action.status = "Succeeded" if status == "Approved" else "Failed"
    action.summary = result.get("summary", "")
    action.updated_by = _caller(self)
    action.last_change = now
    execution.touch()
    if status == "Rejected":
        execution.status_summary = f"Rejected by {action.updated_by}"
    log.info("pipeline %s: %s %s/%s in %s", pipeline_name, status, stage_name, action_name, execution.execution_id)
    advance(pipeline, backend.account_id, backend.region_name)
    return json.dumps({"approvedAt": now})


def _stoppable(
    backend: CodePipelineBackend, pipeline: CodePipeline, pipeline_name: str, execution_id: str
) -> Execution:
    execution = pipeline.executions.get(execution_id)
    if not isinstance(execution, Execution):
        raise PipelineExecutionNotFoundException(
            f"Account '{backend.account_id}' does not have an execution with id '{execution_id}' "
            f"for pipeline '{pipeline_name}'"
        )
    if execution.status != "InProgress":
        raise _Error(
            "PipelineExecutionNotStoppableException",
            f"Pipeline execution {execution_id} cannot be stopped because it is {execution.status}",
        )
    return execution


def stop_pipeline_execution(self: CodePipelineResponse) -> str:
    backend = self.codepipeline_backend
    pipeline_name = _patch.param(self, "pipelineName")
    execution_id = _patch.param(self, "pipelineExecutionId")
    pipeline = find_pipeline(backend, pipeline_name)
    execution = _stoppable(backend, pipeline, pipeline_name, execution_id)
    # Running actions are abandoned at once: the sandbox has no long-running actions to wait for.
    for run in execution.stages.values():
        for action in run.actions:
            if action.status == "InProgress":
                action.status = "Abandoned"
                action.last_change = time.time()
        if run.status == "InProgress":
            run.status = "Stopped"
    execution.status = "Stopped"
    execution.waiting_for = None
    reason = _patch.param(self, "reason")
    if reason:
        execution.status_summary = reason
    execution.touch()
    release(pipeline, execution)
    advance(pipeline, backend.account_id, backend.region_name)
    return json.dumps({"pipelineExecutionId": execution_id})


def _start_backend(self: CodePipelineBackend, name: str, variables: list[dict[str, str]] | None) -> str:
    return start(self, name, variables, {"triggerType": "StartPipelineExecution", "triggerDetail": ""})


def apply() -> None:
    _patch.replace(CodePipelineBackend, "start_pipeline_execution", _start_backend)
    for handler in (start_pipeline_execution, get_pipeline_execution, list_pipeline_executions):
        _patch.replace(CodePipelineResponse, handler.__name__, handler)
    for handler in (get_pipeline_state, put_approval_result, stop_pipeline_execution):
        _patch.add(CodePipelineResponse, handler.__name__, handler)
    _patch.add(CodePipelineResponse, "list_action_executions", _pipeline_results.list_action_executions)
