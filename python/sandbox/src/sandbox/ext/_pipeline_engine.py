"""The CodePipeline execution state machine: stages entered in order, one execution per stage at a time.

Manual approval actions wait (InProgress, with a token) for PutApprovalResult; a CodeBuild action with a
namespace waits for its build's outcome (`_pipeline_results`); every other action succeeds when reached,
because in the sandbox the demo runs the builds itself. `#{Namespace.Variable}` references in an action's
configuration are resolved when it starts (`_pipeline_vars`). When a stage frees, QUEUED lets the
oldest waiting execution in, SUPERSEDED the newest (older waiting ones become Superseded), and PARALLEL
never waits.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from moto.codepipeline.exceptions import PipelineNotFoundException
from moto.codepipeline.models import CodePipeline, CodePipelineBackend, codepipeline_backends

from sandbox.ext import _pipeline_access, _pipeline_sources, _pipeline_vars
from sandbox.ext._pipeline_runs import ActionRun, Execution, StageRun

log = logging.getLogger(__name__)


def stage_locks(pipeline: CodePipeline) -> dict[str, str]:
    """Which execution holds each stage; also sets up `sandbox_stage_latest` (the last execution to enter it)."""
    if not hasattr(pipeline, "sandbox_stage_locks"):
        pipeline.sandbox_stage_locks = {}
        pipeline.sandbox_stage_latest = {}
    locks: dict[str, str] = pipeline.sandbox_stage_locks
    return locks


def executions(pipeline: CodePipeline) -> list[Execution]:
    # moto's own executions (from before the extension was applied) are not walked.
    return [e for e in pipeline.executions.values() if isinstance(e, Execution)]


def find_pipeline(backend: CodePipelineBackend, name: str) -> CodePipeline:
    pipeline = backend.pipelines.get(name)
    if pipeline is None:
        raise PipelineNotFoundException(f"Account '{backend.account_id}' does not have a pipeline with name '{name}'")
    return pipeline


def _source_revision(account: str, region: str, action: ActionRun) -> dict[str, Any] | None:
    if action.provider == _pipeline_sources.PROVIDER:
        return _pipeline_sources.revision(action)
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
    actions = [ActionRun.declared(a) for a in stage["actions"]]
    run = StageRun(stage["name"], actions)
    execution.stages[stage["name"]] = run
    execution.current = run
    execution.waiting_for = None
    stage_locks(pipeline)[stage["name"]] = execution.execution_id
    pipeline.sandbox_stage_latest[stage["name"]] = execution.execution_id
    for action in actions:
        if action.category == "Source":
            action.revision = _source_revision(account, region, action)
            if action.revision:
                execution.source_revisions.append(action.revision)
            if action.namespace and action.provider == "CodeCommit":
                action.output_variables = _pipeline_vars.codecommit_variables(account, region, action)
            if action.namespace and action.provider == _pipeline_sources.PROVIDER:
                action.output_variables = _pipeline_sources.variables(action)


def release(pipeline: CodePipeline, execution: Execution) -> None:
    locks = stage_locks(pipeline)
    for name, holder in list(locks.items()):
        if holder == execution.execution_id:
            del locks[name]


def _start_action(
    pipeline: CodePipeline, execution: Execution, action: ActionRun, now: float, where: tuple[str, str]
) -> None:
    """Start `action` as the pipeline's role: an unresolvable variable, or a call the role may not make, fails
    the action, as in AWS."""
    spaces = _pipeline_vars.namespaces(pipeline.pipeline, execution)
    action.resolved, missing = _pipeline_vars.resolve(action.configuration, spaces)
    if missing:
        log.info("pipeline %s: action %s names unknown variables %s", execution.pipeline_name, action.name, missing)
        action.fail(now, _pipeline_vars.unresolved_message(action))
        return
    refused = _pipeline_access.refusal(pipeline, action.spec, action, *where)
    if refused is None and action.provider == _pipeline_sources.PROVIDER:
        refused = _pipeline_sources.problem(action)
    if refused is None:
        action.start(now)
    else:
        action.fail(now, refused)


def _run_stage(pipeline: CodePipeline, execution: Execution, now: float, where: tuple[str, str]) -> bool:
    """Start what can start in the current stage; True when the stage finished (either way)."""
    run = execution.current
    assert run is not None
    for order in sorted({a.run_order for a in run.actions}):
        group = [a for a in run.actions if a.run_order == order]
        for action in group:
            if action.status == "Pending":
                _start_action(pipeline, execution, action, now, where)
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
            holder = stage_locks(pipeline).get(stage["name"])
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
        release(pipeline, execution)
        finished = execution.current
        execution.current = None
        execution.next_stage += 1
        if finished is not None and finished.status == "Failed":
            execution.status = "Failed"
            return True
    return changed


def _supersede(running: list[Execution]) -> bool:
    """In SUPERSEDED mode only the newest execution waiting at a stage keeps waiting; True if any was dropped."""
    changed = False
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
    return changed


def advance(pipeline: CodePipeline, account: str, region: str) -> None:
    """Progress every running execution until nothing moves (stage locks decide who goes next)."""
    changed = True
    while changed:
        changed = False
        running = [e for e in executions(pipeline) if e.status == "InProgress"]
        if running and running[0].execution_mode == "SUPERSEDED":
            changed = _supersede(running)
            running = [e for e in running if e.status == "InProgress"]
        for execution in running:
            changed = _step(pipeline, execution, account, region) or changed


def start(
    backend: CodePipelineBackend, name: str, variables: list[dict[str, str]] | None, trigger: dict[str, str]
) -> str:
    pipeline = find_pipeline(backend, name)
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
