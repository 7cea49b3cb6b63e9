"""A stage root with `source_provider = "codeconnections"` applies, starts from its connection, and destroys.

envs/tooling, then envs/stage for dev (its one model, churn) with TF_VAR_ overrides (the root creates its
connection), through scripts/tf-sandbox.sh as the demo does. The connection comes up PENDING; the sandbox's console
handshake completes it; a push of seed/ (its config/stage.json.example as config/dev.json, as the team pushes
it) to the stand-in Git provider starts
the pipeline, whose Source action reads that commit through the connection, as the pipeline role.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.git_host import complete_connection, push, tree
from sandbox.harness import running
from tests.conftest import REPO
from tests.terraform.envs_runner import SCRIPT, Envs, deployer_wheel, fail_message, preconditions

pytestmark = pytest.mark.slow

MODEL = "churn"  # envs/platform.tfvars; the stage root's outputs are maps keyed by model
REPOSITORY = "acme/churn-dev"
CONNECTION = {"create": True, "provider_type": "GitHub", "full_repository_id": REPOSITORY, "branch": "main"}


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Envs]:
    preconditions()
    tmp = tmp_path_factory.mktemp("tf-connection")
    wheel = deployer_wheel(tmp / "wheel")
    try:
        with running(tmp) as box:
            runner = Envs(box, wheel, tmp)
            runner.env["TF_VAR_source_provider"] = "codeconnections"
            runner.env["TF_VAR_source_connection"] = json.dumps(CONNECTION)
            yield runner
    finally:
        shutil.rmtree(tmp / "wheel", ignore_errors=True)


def _outputs(envs: Envs) -> dict[str, Any]:
    # Not envs.run: `terraform output` takes no -input flag.
    proc = subprocess.run(
        [str(SCRIPT), "dev", "output", "-json"], cwd=REPO, env=envs.env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, fail_message("dev: output", proc)
    return {name: value["value"] for name, value in json.loads(proc.stdout).items()}


def _source_action(envs: Envs, pipeline: str) -> dict[str, Any]:
    cp = envs.sandbox.client("codepipeline", account="dev")
    source = next(s for s in cp.get_pipeline_state(name=pipeline)["stageStates"] if s["stageName"] == "Source")
    action: dict[str, Any] = source["actionStates"][0]
    return action


def _started_from_connection(envs: Envs, outputs: dict[str, Any]) -> None:
    arn, pipeline = outputs["connection_arns"][MODEL], outputs["pipeline_names"][MODEL]
    connections = envs.sandbox.client("codestar-connections", account="dev")
    assert connections.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
    assert complete_connection(envs.sandbox.url, arn)["ConnectionStatus"] == "AVAILABLE"
    files = tree(REPO / "seed", {"config/dev.json": (REPO / "seed" / "config" / "stage.json.example").read_bytes()})
    pushed = push(envs.sandbox.url, REPOSITORY, "main", files, "Seed the dev stage")
    started = [s for s in pushed["startedExecutions"] if s["pipeline"] == pipeline]
    assert len(started) == 1, pushed
    cp = envs.sandbox.client("codepipeline", account="dev")
    execution = cp.get_pipeline_execution(pipelineName=pipeline, pipelineExecutionId=started[0]["executionId"])
    assert execution["pipelineExecution"]["artifactRevisions"][0]["revisionId"] == pushed["commitId"]
    source = _source_action(envs, pipeline)
    assert source["latestExecution"]["status"] == "Succeeded", source


def test_dev_root_with_a_created_connection(envs: Envs) -> None:
    applied: list[str] = []
    passed = False
    try:
        for name in ("tooling", "dev"):
            proc = envs.run(name, "apply", "-auto-approve")
            assert proc.returncode == 0, fail_message(f"{name}: apply", proc)
            applied.append(name)
        proc = envs.run("dev", "plan", "-detailed-exitcode")
        assert proc.returncode == 0, fail_message("dev: re-plan (expected no changes)", proc)
        outputs = _outputs(envs)
        assert outputs["connection_statuses"] == {MODEL: "PENDING"}
        assert outputs["repository_names"].get(MODEL) is None  # no CodeCommit repository with a connection
        connection = "arn:aws:codestar-connections:us-east-1:222222222222:connection/"
        assert outputs["connection_arns"][MODEL].startswith(connection)
        _started_from_connection(envs, outputs)
        # After the handshake only the status output moves: no resource changes.
        proc = envs.run("dev", "plan", "-detailed-exitcode")
        after = fail_message("dev: plan after the handshake", proc)
        assert proc.returncode in (0, 2) and "Plan:" not in proc.stdout, after
        passed = True
    finally:
        errors = []
        for name in reversed(applied):
            proc = envs.run(name, "destroy", "-auto-approve")
            if proc.returncode != 0:
                errors.append(fail_message(f"{name}: destroy", proc))
        if passed:
            assert not errors, "\n\n".join(errors)
