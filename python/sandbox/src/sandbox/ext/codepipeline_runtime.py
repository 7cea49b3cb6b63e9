"""CodePipeline executions that walk their stages, wait at manual approvals and report state as AWS does.

moto marks every execution Succeeded at once and has no GetPipelineState or PutApprovalResult. Here an
execution enters its stages in order. Manual approval actions wait (InProgress, with a token) for
PutApprovalResult; every other action (Source, Build, Deploy, ...) succeeds when reached, because in the
sandbox the demo runs the builds itself. A rejection fails the action, its stage and the execution.

A stage holds one execution at a time, as in AWS: the next execution waits before it (inboundExecution).
When the stage frees, QUEUED lets the oldest waiting execution in, SUPERSEDED the newest (older waiting
ones become Superseded), and PARALLEL never waits. Executions live on moto's pipeline objects, so
/moto-api/reset and DeletePipeline drop them.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from moto.codepipeline.exceptions import PipelineExecutionNotFoundException, PipelineNotFoundException
from moto.codepipeline.models import CodePipeline, CodePipelineBackend, codepipeline_backends
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.exceptions import JsonRESTError

from sandbox.ext import _patch, _pipeline_access, _policy

log = logging.getLogger(__name__)


class _Error(JsonRESTError):  # type: ignore[misc]
    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


@dataclass
class ActionRun:
    name: str
    category: str
    provider: str
    run_order: int
    configuration: dict[str, Any]
    status: str = "Pending"  # Pending is internal: the action has not started, so it has no latestExecution
    execution_id: str = ""
    token: str | None = None
    summary: str | None = None
    last_change: float = 0.0
    updated_by: str | None = None
    external_id: str | None = None
    revision: dict[str, Any] | None = None

    def start(self, now: float) -> None:
        self.execution_id = str(uuid.uuid4())
        self.last_change = now
        if self.category == "Approval":
            self.status = "InProgress"
            self.token = str(uuid.uuid4())
        else:
            self.status = "Succeeded"
            if self.provider == "CodeBuild":
                project = self.configuration.get("ProjectName", "build")
                self.external_id = f"{project}:{uuid.uuid4()}"

    def state(self) -> dict[str, Any]:
        latest: dict[str, Any] = {
            "actionExecutionId": self.execution_id,
            "status": self.status,
            "lastStatusChange": self.last_change,
        }
        for key, value in (
            ("summary", self.summary),
            ("token", self.token if self.status == "InProgress" else None),
            ("lastUpdatedBy", self.updated_by),
            ("externalExecutionId", self.external_id),
        ):
            if value is not None:
                latest[key] = value
        answer: dict[str, Any] = {"actionName": self.name, "latestExecution": latest}
        if self.revision:
            answer["currentRevision"] = {
                "revisionId": self.revision["revisionId"],
                "revisionChangeId": self.revision["revisionId"],
                "created": self.last_change,
            }
        return answer


@dataclass
class StageRun:
    name: str
    actions: list[ActionRun]
    status: str = "InProgress"


@dataclass
class Execution:
    pipeline_name: str
    pipeline_version: int
    execution_mode: str
    trigger: dict[str, str]
    variables: list[dict[str, str]]
    execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "InProgress"
    status_summary: str | None = None
    start_time: float = field(default_factory=time.time)
    last_update_time: float = field(default_factory=time.time)
    next_stage: int = 0
    current: StageRun | None = None
    waiting_for: str | None = None
    stages: dict[str, StageRun] = field(default_factory=dict)
    source_revisions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pipeline_execution_id(self) -> str:
        return self.execution_id

    def touch(self) -> None:
        self.last_update_time = time.time()

    def to_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "pipelineName": self.pipeline_name,
            "pipelineVersion": self.pipeline_version,
            "pipelineExecutionId": self.execution_id,
            "status": self.status,
            "artifactRevisions": [
                {
                    "name": r["actionName"],
                    "revisionId": r["revisionId"],
                    "revisionSummary": r.get("revisionSummary", ""),
                    "created": self.start_time,
                }
                for r in self.source_revisions
            ],
            "variables": [{"name": v["name"], "resolvedValue": v["value"]} for v in self.variables],
            "trigger": self.trigger,
            "executionMode": self.execution_mode,
            "executionType": "STANDARD",
        }
        if self.status_summary:
            answer["statusSummary"] = self.status_summary
        return answer

    def to_summary_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "pipelineExecutionId": self.execution_id,
            "status": self.status,
            "startTime": self.start_time,
            "lastUpdateTime": self.last_update_time,
            "sourceRevisions": [
                {k: r[k] for k in ("actionName", "revisionId", "revisionSummary") if k in r}
                for r in self.source_revisions
            ],
            "trigger": self.trigger,
            "executionMode": self.execution_mode,
            "executionType": "STANDARD",
        }
        if self.status_summary:
            answer["statusSummary"] = self.status_summary
        return answer


# --- the execution model --------------------------------------------------------------------------------


def _locks(pipeline: CodePipeline) -> dict[str, str]:
    if not hasattr(pipeline, "sandbox_stage_locks"):
        pipeline.sandbox_stage_locks = {}
        pipeline.sandbox_stage_latest = {}
    locks: dict[str, str] = pipeline.sandbox_stage_locks
    return locks


def _executions(pipeline: CodePipeline) -> list[Execution]:
    return [e for e in pipeline.executions.values() if isinstance(e, Execution)]


def _source_revision(account: str, region: str, action: ActionRun) -> dict[str, Any] | None:
    if action.provider != "CodeCommit":
        return None
    from sandbox.ext import codecommit_files

    head = codecommit_files.branch_head(
        account, region, action.configuration.get("RepositoryName", ""), action.configuration.get("BranchName", "")
    )
    if head is None:
        return None
    commit_id, message = head
    return {"actionName": action.name, "revisionId": commit_id, "revisionSummary": message}


def _enter(pipeline: CodePipeline, execution: Execution, stage: dict[str, Any], account: str, region: str) -> None:
    actions = [
        ActionRun(
            name=a["name"],
            category=a["actionTypeId"]["category"],
            provider=a["actionTypeId"]["provider"],
            run_order=int(a.get("runOrder", 1)),
            configuration=dict(a.get("configuration") or {}),
        )
        for a in stage["actions"]
    ]
    run = StageRun(stage["name"], actions)
    execution.stages[stage["name"]] = run
    execution.current = run
    execution.waiting_for = None
    _locks(pipeline)[stage["name"]] = execution.execution_id
    pipeline.sandbox_stage_latest[stage["name"]] = execution.execution_id
    for action in actions:
        if action.category == "Source":
            action.revision = _source_revision(account, region, action)
            if action.revision:
                execution.source_revisions.append(action.revision)


def _release(pipeline: CodePipeline, execution: Execution) -> None:
    locks = _locks(pipeline)
    for name, holder in list(locks.items()):
        if holder == execution.execution_id:
            del locks[name]


def _start_action(pipeline: CodePipeline, run: StageRun, action: ActionRun, now: float, where: tuple[str, str]) -> None:
    """Start `action` as the pipeline's role: a call the role may not make fails the action, as in AWS."""
    stages: list[dict[str, Any]] = pipeline.pipeline["stages"]
    stage: dict[str, Any] = next((s for s in stages if s["name"] == run.name), {"actions": []})
    spec: dict[str, Any] = next((a for a in stage["actions"] if a["name"] == action.name), {})
    refused = _pipeline_access.refusal(pipeline, spec, action, *where)
    if refused is None:
        action.start(now)
        return
    action.execution_id = str(uuid.uuid4())
    action.last_change = now
    action.status = "Failed"
    action.summary = refused


def _run_stage(pipeline: CodePipeline, execution: Execution, now: float, where: tuple[str, str]) -> bool:
    """Start what can start in the current stage; True when the stage finished (either way)."""
    run = execution.current
    assert run is not None
    for order in sorted({a.run_order for a in run.actions}):
        group = [a for a in run.actions if a.run_order == order]
        for action in group:
            if action.status == "Pending":
                _start_action(pipeline, run, action, now, where)
        if any(a.status == "Failed" for a in group):
            run.status = "Failed"
            return True
        if any(a.status == "InProgress" for a in group):
            return False
    run.status = "Succeeded"
    return True


def _step(pipeline: CodePipeline, execution: Execution, account: str, region: str) -> bool:
    """Move one execution as far as it can go; True if anything changed."""
    stages = pipeline.pipeline["stages"]
    changed = False
    while execution.status == "InProgress":
        if execution.current is None:
            if execution.next_stage >= len(stages):
                execution.status = "Succeeded"
                execution.touch()
                return True
            stage = stages[execution.next_stage]
            holder = _locks(pipeline).get(stage["name"])
            if holder and holder != execution.execution_id and execution.execution_mode != "PARALLEL":
                if execution.waiting_for != stage["name"]:
                    execution.waiting_for = stage["name"]
                    changed = True
                return changed
            _enter(pipeline, execution, stage, account, region)
            changed = True
        if not _run_stage(pipeline, execution, time.time(), (account, region)):
            return changed
        changed = True
        execution.touch()
        _release(pipeline, execution)
        finished = execution.current
        execution.current = None
        execution.next_stage += 1
        if finished is not None and finished.status == "Failed":
            execution.status = "Failed"
            return True
    return changed


def advance(pipeline: CodePipeline, account: str, region: str) -> None:
    """Progress every running execution until nothing moves (stage locks decide who goes next)."""
    changed = True
    while changed:
        changed = False
        running = [e for e in _executions(pipeline) if e.status == "InProgress"]
        if running and running[0].execution_mode == "SUPERSEDED":
            by_stage: dict[str, list[Execution]] = {}
            for execution in running:
                if execution.waiting_for:
                    by_stage.setdefault(execution.waiting_for, []).append(execution)
            for waiting in by_stage.values():
                for older in waiting[:-1]:
                    older.status = "Superseded"
                    older.waiting_for = None
                    older.touch()
                    changed = True
            running = [e for e in running if e.status == "InProgress"]
        for execution in running:
            changed = _step(pipeline, execution, account, region) or changed


def _pipeline(backend: CodePipelineBackend, name: str) -> CodePipeline:
    pipeline = backend.pipelines.get(name)
    if pipeline is None:
        raise PipelineNotFoundException(f"Account '{backend.account_id}' does not have a pipeline with name '{name}'")
    return pipeline


def start(
    backend: CodePipelineBackend, name: str, variables: list[dict[str, str]] | None, trigger: dict[str, str]
) -> str:
    pipeline = _pipeline(backend, name)
    execution = Execution(
        pipeline_name=name,
        pipeline_version=int(pipeline.pipeline.get("version", 1)),
        execution_mode=str(pipeline.pipeline.get("executionMode") or "SUPERSEDED"),
        trigger=trigger,
        variables=list(variables or []),
    )
    pipeline.executions[execution.execution_id] = execution
    log.info("pipeline %s/%s: execution %s started by %s", backend.account_id, name, execution.execution_id, trigger)
    advance(pipeline, backend.account_id, backend.region_name)
    return execution.execution_id


def start_from_event(account: str, region: str, pipeline_name: str, rule_arn: str) -> str | None:
    """An EventBridge rule target: start the pipeline in its own account, as CloudWatchEvent."""
    backend = codepipeline_backends[account][region]
    if pipeline_name not in backend.pipelines:
        log.warning("rule %s: target pipeline %s does not exist in %s/%s", rule_arn, pipeline_name, account, region)
        return None
    return start(backend, pipeline_name, None, {"triggerType": "CloudWatchEvent", "triggerDetail": rule_arn})


# --- API --------------------------------------------------------------------------------------------------


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
    pipeline = _pipeline(self.codepipeline_backend, _patch.param(self, "pipelineName"))
    executions = list(reversed(list(pipeline.executions.values())))
    wanted = (_patch.param(self, "filter") or {}).get("succeededInStage", {}).get("stageName")
    if wanted:
        executions = [
            e
            for e in executions
            if isinstance(e, Execution) and getattr(e.stages.get(wanted), "status", "") == "Succeeded"
        ]
    max_results = _patch.param(self, "maxResults") or 100
    return json.dumps({"pipelineExecutionSummaries": [e.to_summary_dict() for e in executions[: int(max_results)]]})


def get_pipeline_state(self: CodePipelineResponse) -> str:
    backend = self.codepipeline_backend
    pipeline = _pipeline(backend, _patch.param(self, "name"))
    _locks(pipeline)
    executions = {e.execution_id: e for e in _executions(pipeline)}
    stage_states = []
    for stage in pipeline.pipeline["stages"]:
        name = stage["name"]
        state: dict[str, Any] = {"stageName": name, "inboundTransitionState": {"enabled": True}}
        latest = executions.get(pipeline.sandbox_stage_latest.get(name, ""))
        run = latest.stages.get(name) if latest else None
        if latest is not None and run is not None:
            status = run.status
            if latest.status in ("Stopped", "Superseded") and status == "InProgress":
                status = "Stopped"
            state["latestExecution"] = {
                "pipelineExecutionId": latest.execution_id,
                "status": status,
                "type": "STANDARD",
            }
            state["actionStates"] = [
                a.state() if a.status != "Pending" else {"actionName": a.name} for a in run.actions
            ]
        else:
            state["actionStates"] = [{"actionName": a["name"]} for a in stage["actions"]]
        inbound = [e for e in executions.values() if e.status == "InProgress" and e.waiting_for == name]
        if inbound:
            entries = [
                {"pipelineExecutionId": e.execution_id, "status": "InProgress", "type": "STANDARD"} for e in inbound
            ]
            state["inboundExecution"] = entries[0]
            state["inboundExecutions"] = entries
        stage_states.append(state)
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
    pipeline = _pipeline(backend, pipeline_name)
    stage = next((s for s in pipeline.pipeline["stages"] if s["name"] == stage_name), None)
    if stage is None:
        raise _Error("StageNotFoundException", f"Stage {stage_name} was not found in pipeline {pipeline_name}")
    declared = next((a for a in stage["actions"] if a["name"] == action_name), None)
    if declared is None or declared["actionTypeId"]["category"] != "Approval":
        raise _Error("ActionNotFoundException", f"Action {action_name} was not found in stage {stage_name}")
    for execution in _executions(pipeline):
        run = execution.stages.get(stage_name)
        action = next((a for a in run.actions if a.name == action_name), None) if run else None
        if action is None or action.token != token:
            continue
        if action.status != "InProgress" or execution.status != "InProgress":
            raise _Error(
                "ApprovalAlreadyCompletedException", f"Approval for action {action_name} was already completed"
            )
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
    raise _Error(
        "InvalidApprovalTokenException",
        f"The approval action {action_name} in stage {stage_name} of pipeline {pipeline_name} has no token {token}",
    )


def stop_pipeline_execution(self: CodePipelineResponse) -> str:
    backend = self.codepipeline_backend
    pipeline_name = _patch.param(self, "pipelineName")
    execution_id = _patch.param(self, "pipelineExecutionId")
    pipeline = _pipeline(backend, pipeline_name)
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
    _release(pipeline, execution)
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
