"""Every env root applies to a fresh sandbox, re-plans with no changes, and destroys.

Order matters: tooling first (registry, ledger, event bus the stages point at), then dev, staging,
prod; destroy runs in reverse. Each step goes through scripts/tf-sandbox.sh, the same entry point
an operator uses, with AWS_ENDPOINT_URL pointing at a sandbox started for this module alone.
"""

from __future__ import annotations

import hashlib
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

sys.path.insert(0, str(REPO / "scripts"))
from deployer_dist import LOCK_NAME, WHEELHOUSE, build_wheel, ensure_wheelhouse, sha256

pytestmark = pytest.mark.slow

ENVS = ("tooling", "dev", "staging", "prod")
SCRIPT = REPO / "scripts" / "tf-sandbox.sh"
TIMEOUT_S = 1800


def _deployer_wheel(out_dir: Path) -> Path:
    """The deployer wheel the stage roots upload for CodeBuild, with requirements.lock beside it.

    $DEPLOYER_WHEEL (its lock beside it), else one built here as `make wheel` builds it (no network).
    """
    given = os.environ.get("DEPLOYER_WHEEL")
    if given:
        return Path(given)
    return Path(build_wheel(out_dir))


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
        _deployer_build_uploaded(envs)
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


def _deployer_build_uploaded(envs: Envs) -> None:
    """dev's CodeBuild projects name the exact wheel and lock, by content hash, and the objects hold those bytes."""
    proc = subprocess.run([str(SCRIPT), "dev", "output", "-no-color", "-json", "deployer_build"], cwd=REPO,
                          env=envs.env, capture_output=True, text=True, timeout=TIMEOUT_S)  # fmt: skip
    assert proc.returncode == 0, _fail("dev: output deployer_build", proc)
    build = json.loads(proc.stdout)
    lock = envs.wheel.parent / LOCK_NAME
    assert build["wheel_sha256"] == sha256(envs.wheel) and build["lock_sha256"] == sha256(lock), build
    assert build["wheel_s3_uri"].endswith(f"/sha256-{build['wheel_sha256']}/{envs.wheel.name}"), build
    assert build["dependencies"] == "bundled", build
    s3: Any = envs.sandbox.client("s3", "dev")
    for uri, digest in ((build["wheel_s3_uri"], build["wheel_sha256"]), (build["lock_s3_uri"], build["lock_sha256"])):
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == digest, uri
    bucket, prefix = build["wheelhouse_s3_uri"].removeprefix("s3://").split("/", 1)
    listed = {o["Key"].rsplit("/", 1)[-1] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]}
    assert listed == {p.name for p in WHEELHOUSE.glob("*.whl")}, listed
    env = {e["name"]: e["value"] for e in _project_env(envs.sandbox, "churn-dev-deploy")}
    assert {k: env[k] for k in ("DEPLOYER_WHEEL_S3_URI", "DEPLOYER_WHEEL_SHA256", "DEPLOYER_LOCK_S3_URI")} == {
        "DEPLOYER_WHEEL_S3_URI": build["wheel_s3_uri"],
        "DEPLOYER_WHEEL_SHA256": build["wheel_sha256"],
        "DEPLOYER_LOCK_S3_URI": build["lock_s3_uri"],
    }


def _project_env(sandbox: Sandbox, project: str) -> list[dict[str, str]]:
    codebuild: Any = sandbox.client("codebuild", "dev")
    return list(codebuild.batch_get_projects(names=[project])["projects"][0]["environment"]["environmentVariables"])


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
