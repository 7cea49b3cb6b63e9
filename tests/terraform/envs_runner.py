"""Runs an env root through scripts/tf-sandbox.sh (the demo's entry point) against a test's own sandbox.

Used by test_source_connection.py; the README guide's own commands are test_guide.py's.

Order matters: tooling first (registry, ledger, event bus the stages point at), then dev, staging,
prod (envs/stage with each stage's file; the script adds -var-file=../platform.tfvars everywhere);
destroy runs in reverse, with AWS_ENDPOINT_URL pointing at a sandbox started for the test alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.harness import Sandbox
from tests.conftest import REPO
from tests.terraform.conftest import PLUGIN_CACHE, TERRAFORMRC, require_terraform

sys.path.insert(0, str(REPO / "scripts"))
from deployer_dist import WHEELHOUSE, build_wheel, ensure_wheelhouse

ENVS = ("tooling", "dev", "staging", "prod")
SCRIPT = REPO / "scripts" / "tf-sandbox.sh"
TIMEOUT_S = 1800


def deployer_wheel(out_dir: Path) -> Path:
    """The deployer wheel the stage roots upload for CodeBuild, with requirements.lock beside it.

    $DEPLOYER_WHEEL (its lock beside it), else one built here as `make wheel` builds it (no network).
    """
    given = os.environ.get("DEPLOYER_WHEEL")
    if given:
        return Path(given)
    return Path(build_wheel(out_dir))


def preconditions() -> None:
    require_terraform()
    roots = [REPO / "envs" / "tooling", REPO / "envs" / "platform.tfvars"]
    roots += [REPO / "envs" / "stage" / f"{e}.tfvars" for e in ENVS if e != "tooling"]
    missing = [str(p) for p in (SCRIPT, *roots) if not p.exists()]
    if missing:
        pytest.fail(f"missing: {', '.join(missing)}")
    seed = subprocess.run(
        [sys.executable, "-m", "deployer", "seed-repo", "--help"], capture_output=True, text=True, timeout=60
    )
    if seed.returncode != 0:
        pytest.fail(f"`python -m deployer seed-repo` is not available: {seed.stderr.strip()[-300:]}")


class Envs:
    """Runs scripts/tf-sandbox.sh <env> <args> against this module's sandbox."""

    def __init__(self, sandbox: Sandbox, wheel: Path, log_dir: Path) -> None:
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
        # The stage roots upload the wheel, its lock and the locked dependency wheels (bundled: offline builds).
        self.wheel = wheel
        self.env["DEPLOYER_WHEEL"] = str(wheel)
        self.env["DEPLOYER_WHEELHOUSE"] = str(ensure_wheelhouse(WHEELHOUSE))

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


def fail_message(step: str, proc: subprocess.CompletedProcess[str]) -> str:
    return f"{step} exited {proc.returncode}\n{proc.stdout[-8000:]}\n{proc.stderr[-4000:]}"
