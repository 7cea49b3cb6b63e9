"""Every env root applies to a fresh sandbox, re-plans with no changes, and destroys.

Order matters: tooling first (registry, ledger, event bus the stages point at), then dev, staging,
prod; destroy runs in reverse. Each step goes through scripts/tf-sandbox.sh, the same entry point
an operator uses, with AWS_ENDPOINT_URL pointing at a sandbox started for this module alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.harness import Sandbox, running
from tests.conftest import REPO
from tests.terraform.conftest import PLUGIN_CACHE, TERRAFORMRC, require_terraform
from tests.terraform.iam_probe import dev_cannot_forge_other_stages, probe_test_role

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
