"""Every env root applies to a fresh sandbox, re-plans with no changes, and destroys.

Order matters: tooling first (registry, ledger, event bus the stages point at), then dev, staging,
prod; destroy runs in reverse. Each step goes through scripts/tf-sandbox.sh, the same entry point
an operator uses, with AWS_ENDPOINT_URL pointing at a sandbox started for this module alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployer.config import PlatformConfig, load_stage_config
from sandbox.harness import Sandbox, running
from tests.conftest import REPO
from tests.terraform.conftest import PLUGIN_CACHE, TERRAFORMRC, require_terraform
from tests.terraform.iam_probe import (
    DEV,
    dev_cannot_forge_other_stages,
    platform_config_as,
    probe_platform_config,
    probe_test_role,
)

pytestmark = pytest.mark.slow

ENVS = ("tooling", "dev", "staging", "prod")
SCRIPT = REPO / "scripts" / "tf-sandbox.sh"
TIMEOUT_S = 1800


def _deployer_wheel(out_dir: Path) -> Path | None:
    """The deployer wheel the stage roots upload for CodeBuild.

    $DEPLOYER_WHEEL, else a wheel already built under python/deployer/dist or .build/dist, else one
    built here without network (needs setuptools>=68 in the venv). None when there is none: the
    stage module then uploads nothing (deployer_wheel_path = "") and everything else still applies.
    """
    given = os.environ.get("DEPLOYER_WHEEL")
    if given:
        return Path(given)
    for dist in (REPO / "python" / "deployer" / "dist", REPO / ".build" / "dist"):
        wheels = sorted(dist.glob("*deployer-*.whl"))
        if wheels:
            return wheels[-1]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(out_dir), str(REPO / "python" / "deployer")],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    wheels = sorted(out_dir.glob("*deployer-*.whl"))
    return wheels[-1] if proc.returncode == 0 and wheels else None


def _preconditions() -> None:
    require_terraform()
    missing = [str(p) for p in (SCRIPT, *(REPO / "envs" / e for e in ENVS)) if not p.exists()]
    if missing:
        pytest.fail(f"missing: {', '.join(missing)}")
    seed = subprocess.run(
        [sys.executable, "-m", "deployer", "seed-repo", "--help"], capture_output=True, text=True, timeout=60
    )
    if seed.returncode != 0:
        pytest.fail(f"`python -m deployer seed-repo` is not available: {seed.stderr.strip()[-300:]}")


class Envs:
    """Runs scripts/tf-sandbox.sh <env> <args> against this module's sandbox."""

    def __init__(self, sandbox: Sandbox, wheel: Path | None, log_dir: Path) -> None:
        self.sandbox = sandbox
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            **sandbox.env,
            "TF_CLI_CONFIG_FILE": str(TERRAFORMRC),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "TF_PLUGIN_CACHE_DIR": str(PLUGIN_CACHE),
            "CHECKPOINT_DISABLE": "1",
            "SANDBOX_PYTHON": sys.executable,
            "TF_VAR_seed_python": sys.executable,
        }
        if wheel is not None:
            self.env["DEPLOYER_WHEEL"] = str(wheel)
        else:
            self.env.pop("DEPLOYER_WHEEL", None)

    def run(self, env_name: str, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(SCRIPT), env_name, *args, "-no-color", "-input=false"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        (self.log_dir / f"{env_name}-{args[0]}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
        return proc


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Envs]:
    _preconditions()
    tmp = tmp_path_factory.mktemp("tf-apply")
    wheel = _deployer_wheel(tmp / "wheel")
    try:
        with running(tmp) as box:
            yield Envs(box, wheel, tmp)
    finally:
        shutil.rmtree(tmp / "wheel", ignore_errors=True)


def _fail(step: str, proc: subprocess.CompletedProcess[str]) -> str:
    return f"{step} exited {proc.returncode}\n{proc.stdout[-8000:]}\n{proc.stderr[-4000:]}"


def test_envs_apply_replan_clean_and_destroy(envs: Envs) -> None:
    applied: list[str] = []
    passed = False
    try:
        for name in ENVS:
            proc = envs.run(name, "apply", "-auto-approve")
            assert proc.returncode == 0, _fail(f"{name}: apply", proc)
            applied.append(name)
        for name in ENVS:
            proc = envs.run(name, "plan", "-detailed-exitcode")
            assert proc.returncode == 0, _fail(f"{name}: re-plan (expected no changes)", proc)
        dev_cannot_forge_other_stages(envs.sandbox, "churn")
        probe_test_role(envs.sandbox, "churn")
        probe_platform_config(envs.sandbox, "churn")
        _team_edits_survive_a_reapply(envs)
        passed = True
    finally:
        errors = []
        for name in reversed(applied):
            proc = envs.run(name, "destroy", "-auto-approve")
            if proc.returncode != 0:
                errors.append(_fail(f"{name}: destroy", proc))
        # A failed apply or plan is the error to report; destroy failures only when all else passed.
        if passed:
            assert not errors, "\n\n".join(errors)


def _team_edits_survive_a_reapply(envs: Envs) -> None:
    """The team edits its buildspec and config/dev.json; the platform re-applies dev with new defaults. Both edits
    stay, and the deploy role reads the new Terraform facts from SSM (the repository carries none of them)."""
    cc: Any = envs.sandbox.client("codecommit", "dev")
    repo = "churn-dev"

    def content(path: str) -> bytes:
        return bytes(cc.get_file(repositoryName=repo, filePath=path)["fileContent"])

    assert json.loads(content("config/dev.json")) == {"schema_version": 1}  # the seed: team keys only
    buildspec = content("buildspecs/test.yml") + b"# the team's extra tests\n"
    team_config = b'{"schema_version": 1, "deployment": {"strategy": "all_at_once"}}\n'
    head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    cc.create_commit(repositoryName=repo, branchName="main", parentCommitId=head, commitMessage="team edits",
                     putFiles=[{"filePath": "buildspecs/test.yml", "fileContent": buildspec},
                               {"filePath": "config/dev.json", "fileContent": team_config}])  # fmt: skip
    new_defaults = 'deployment={strategy="linear",step_type="CAPACITY_PERCENT",step_value=20,wait_seconds=120}'
    proc = envs.run("dev", "apply", "-auto-approve", f"-var={new_defaults}")
    assert proc.returncode == 0, _fail("dev: re-apply with new platform defaults", proc)
    assert content("buildspecs/test.yml") == buildspec and content("config/dev.json") == team_config
    platform = platform_config_as(envs.sandbox, "churn", "churn-dev-codebuild", "churn-dev-deploy")
    assert platform["deployment"]["wait_seconds"] == 120 and platform["deployment"]["strategy"] == "linear"
    assert platform["target"]["account_id"] == DEV
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "dev.json").write_bytes(team_config)
        parameter = PlatformConfig("/churn/dev/deployer/config", platform)
        config = load_stage_config(tmp, "dev", platform=lambda: parameter)
    assert config.deployment.strategy == "all_at_once" and config.deployment.wait_seconds == 120
