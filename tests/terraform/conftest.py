"""A small Terraform CLI wrapper for the tests (python-terraform is broken on Terraform 1.x)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import REPO

TERRAFORMRC = REPO / ".build" / "terraformrc"
PLUGIN_CACHE = REPO / ".build" / "tf-plugin-cache"


def terraform_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for one Terraform working directory: offline providers, shared plugin cache."""
    PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(TERRAFORMRC),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_DATA_DIR": str(data_dir),
        "TF_PLUGIN_CACHE_DIR": str(PLUGIN_CACHE),
        "CHECKPOINT_DISABLE": "1",
    }
    env.update(extra or {})
    return env


def require_terraform() -> None:
    """Fail (never skip): under `make test` both exist, and a skip would hide a broken setup."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH")
    if not TERRAFORMRC.is_file():
        pytest.fail(f"{TERRAFORMRC} missing: run `make setup`")


class TerraformError(AssertionError):
    """A terraform command failed; the message carries its output."""


class Terraform:
    """Runs terraform in `workdir` with its own data dir and local state (both under tmp_path)."""

    def __init__(self, workdir: Path, env: Mapping[str, str], timeout: float = 900) -> None:
        self.workdir = workdir
        self.env = dict(env)
        self.timeout = timeout

    @classmethod
    def from_fixture(cls, fixture: Path, tmp_path: Path, variables: Mapping[str, str]) -> Terraform:
        """Copy a fixture (and the shared provider.tf next to it) into tmp_path/work."""
        work = tmp_path / "work"
        shutil.copytree(fixture, work)
        shutil.copy(fixture.parent / "provider.tf", work / "provider.tf")
        extra = {f"TF_VAR_{name}": value for name, value in variables.items()}
        return cls(work, terraform_env(tmp_path / "tf-data", extra))

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
        )
        if proc.returncode not in ok:
            raise TerraformError(
                f"terraform {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
            )
        return proc

    @staticmethod
    def _vars(variables: Mapping[str, str]) -> list[str]:
        return [f"-var={name}={value}" for name, value in variables.items()]

    def init(self) -> None:
        self.run("init", "-input=false")

    def apply(self, **variables: str) -> None:
        self.run("apply", "-auto-approve", "-input=false", *self._vars(variables))

    def plan_exitcode(self, **variables: str) -> tuple[int, str]:
        """`plan -detailed-exitcode`: 0 no changes, 2 changes (1 raises)."""
        proc = self.run("plan", "-detailed-exitcode", "-input=false", *self._vars(variables), ok=(0, 2))
        return proc.returncode, proc.stdout

    def destroy(self, **variables: str) -> None:
        self.run("destroy", "-auto-approve", "-input=false", *self._vars(variables))
