"""How the demo drives one stage's pipeline execution, as CodePipeline and CodeBuild would on AWS.

The sandbox's pipeline walks the stages; the demo runs each CodeBuild action's build locally (localbuild), in
pipeline order. A build whose action declares a namespace (Plan) reports its outcome and exported variables
back, as CodeBuild does, and the execution waits for it; later actions see them as #{Plan.<name>}. At the
manual approval the demo prints what the approver reads (the resolved CustomData), then decides.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from localbuild import BuildFailed, LocalCodeBuild

RESULT_PATH = "/_sandbox/codepipeline/action-result"  # what CodeBuild reports to CodePipeline


class PipelineRun:
    """One execution of a model's stage pipeline (`<prefix>-<stage>`), driven to its end (or to a rejected approval)."""

    def __init__(self, cp: Any, builder: LocalCodeBuild, where: dict[str, str], say: Callable[[str], None]) -> None:
        self.cp = cp
        self.builder = builder
        self.where = where  # account, region, pipeline, repository, stage, model, endpoint_url
        self.say = say

    def action_execution(self, execution_id: str, action: str, timeout: float = 30.0) -> dict[str, Any]:
        """The action's execution once the pipeline started it (its configuration is resolved then)."""
        deadline = time.monotonic() + timeout
        while True:
            details = self.cp.list_action_executions(
                pipelineName=self.where["pipeline"], filter={"pipelineExecutionId": execution_id}
            )["actionExecutionDetails"]
            found = next((d for d in details if d["actionName"] == action), None)
            if found is not None:
                return dict(found)
            if time.monotonic() > deadline:
                raise BuildFailed(f"{self.where['pipeline']}: {action} never started in {execution_id[:8]}", 1)
            time.sleep(0.2)

    def report(self, execution_id: str, stage: str, action: str, status: str, variables: dict[str, str]) -> None:
        payload = {
            "account": self.where["account"],
            "region": self.where["region"],
            "pipeline": self.where["pipeline"],
            "execution_id": execution_id,
            "stage": stage,
            "action": action,
            "status": status,
            "variables": variables,
        }
        request = urllib.request.Request(
            self.where["endpoint_url"].rstrip("/") + RESULT_PATH,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30):
            pass

    def build(self, execution_id: str, revision: str, stage: str, action: dict[str, Any], label: str) -> None:
        started = self.action_execution(execution_id, action["name"])
        resolved = started.get("input", {}).get("resolvedConfiguration", {})
        pinned = json.loads(resolved.get("EnvironmentVariables") or "[]")
        env = {str(v["name"]): str(v["value"]) for v in pinned}
        if env:
            self.say(f"    [{label}] pipeline variables: {', '.join(f'{k}={v}' for k, v in env.items())}")
        project = str(action["configuration"]["ProjectName"])
        try:
            result = self.builder.run(project, self.where["repository"], revision, label=label, action_env=env)
        except BuildFailed:
            if action.get("namespace"):
                self.report(execution_id, stage, action["name"], "Failed", {})
            raise
        if action.get("namespace"):
            self.report(execution_id, stage, action["name"], "Succeeded", result.exported)

    def approval(self, execution_id: str, stage: str, action: str, decide: tuple[str, str]) -> bool:
        """Wait for the approval's token, show what the approver reads, and answer; True when approved."""
        deadline = time.monotonic() + 30
        while True:
            state = self.cp.get_pipeline_state(name=self.where["pipeline"])
            gate: dict[str, Any] = next((s for s in state["stageStates"] if s["stageName"] == stage), {})
            latest = (gate.get("actionStates") or [{}])[0].get("latestExecution") or {}
            if gate.get("latestExecution", {}).get("pipelineExecutionId") == execution_id and latest.get("token"):
                break
            if time.monotonic() > deadline:
                raise BuildFailed(f"{self.where['pipeline']}: {execution_id[:8]} never reached its approval", 1)
            time.sleep(0.2)
        shown = self.action_execution(execution_id, action)["input"].get("resolvedConfiguration", {})
        status, summary = decide
        self.say(f'    {self.where["pipeline"]}: waiting at ManualApproval: "{shown.get("CustomData", "")}"')
        self.say(f"    A human decides here; the demo says {status}: {summary}")
        self.cp.put_approval_result(
            pipelineName=self.where["pipeline"],
            stageName=stage,
            actionName=action,
            result={"summary": summary, "status": status},
            token=latest["token"],
        )
        return status == "Approved"

    def drive(self, execution: dict[str, Any], revision: str, decide: tuple[str, str] | None) -> bool:
        """Every CodeBuild action and approval of the execution, in order; False if an approval said no."""
        execution_id = str(execution["pipelineExecutionId"])
        pipeline = self.cp.get_pipeline(name=self.where["pipeline"])["pipeline"]
        stage_name = self.where["stage"]
        for stage in pipeline["stages"]:
            for action in sorted(stage["actions"], key=lambda a: int(a.get("runOrder", 1))):
                kind = action["actionTypeId"]
                if kind["category"] == "Approval":
                    if decide is None:
                        raise BuildFailed(f"{self.where['pipeline']}: an approval, but the demo has no decision", 1)
                    if not self.approval(execution_id, stage["name"], action["name"], decide):
                        return False
                elif kind["category"] == "Build" and kind["provider"] == "CodeBuild":
                    model = f"{self.where['model']} " if self.where.get("model") else ""
                    label = f"{model}{stage_name}/{str(action['configuration']['ProjectName']).rsplit('-', 1)[-1]}"
                    self.build(execution_id, revision, stage["name"], action, label)
        return True
