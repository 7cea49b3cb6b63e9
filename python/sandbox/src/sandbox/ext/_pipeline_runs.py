"""What a CodePipeline execution records: its actions, stages, variables and source revisions, in AWS's shapes.

Executions are stored in moto's `pipeline.executions` beside moto's own, so /moto-api/reset and
DeletePipeline drop them.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


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
    spec: dict[str, Any] = field(default_factory=dict)  # the declaration, for ListActionExecutions' input
    resolved: dict[str, Any] | None = None  # configuration with #{Namespace.Variable} references resolved
    output_variables: dict[str, str] = field(default_factory=dict)
    start_time: float = 0.0

    @property
    def namespace(self) -> str | None:
        value = self.spec.get("namespace")
        return str(value) if value else None

    @classmethod
    def declared(cls, spec: dict[str, Any]) -> ActionRun:
        """A not-yet-started run of an action as the pipeline declares it."""
        return cls(
            name=spec["name"],
            category=spec["actionTypeId"]["category"],
            provider=spec["actionTypeId"]["provider"],
            run_order=int(spec.get("runOrder", 1)),
            configuration=dict(spec.get("configuration") or {}),
            spec=dict(spec),
        )

    def start(self, now: float) -> None:
        self.execution_id = str(uuid.uuid4())
        self.last_change = self.start_time = now
        if self.category == "Approval":
            self.status = "InProgress"
            self.token = str(uuid.uuid4())
        else:
            # A CodeBuild action with a namespace exports variables: it runs until the local build runner
            # reports its outcome (POST /_sandbox/codepipeline/action-result). Any other action succeeds here.
            waits = self.provider == "CodeBuild" and self.namespace is not None
            self.status = "InProgress" if waits else "Succeeded"
            if self.provider == "CodeBuild":
                project = self.configuration.get("ProjectName", "build")
                self.external_id = f"{project}:{uuid.uuid4()}"

    def fail(self, now: float, summary: str) -> None:
        self.execution_id = str(uuid.uuid4())
        self.last_change = self.start_time = now
        self.status = "Failed"
        self.summary = summary

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
