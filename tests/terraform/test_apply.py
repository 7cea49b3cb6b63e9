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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.harness import Sandbox, running
from tests.conftest import REPO
from tests.terraform.conftest import PLUGIN_CACHE, TERRAFORMRC, require_terraform
from tests.terraform.iam_probe import TOOLING, dev_registry_session, probe_test_role, refused

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
        _dev_cannot_forge_other_stages(envs.sandbox)
        _deployer_build_uploaded(envs)
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


def _dev_cannot_forge_other_stages(sandbox: Sandbox) -> None:
    """The dev stage's real credentials write dev's records and nothing else: no staging or prod mark, no
    approval status, no other stage's history (the rendered policies, enforced by the sandbox)."""
    project = "churn"
    table = f"{project}-ledger"
    registry = dev_registry_session(sandbox, project)
    ddb: Any = registry.client("dynamodb", endpoint_url=sandbox.url)
    sm: Any = registry.client("sagemaker", endpoint_url=sandbox.url)
    admin_sm: Any = sandbox.client("sagemaker")
    package = admin_sm.create_model_package(
        ModelPackageGroupName=project,
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": f"s3://{project}-artifacts-{TOOLING}/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]

    try:
        _probe(ddb, sm, table, package, project)
    finally:
        admin_sm.delete_model_package(ModelPackageName=package)  # the group must be empty to be destroyed


def _probe(ddb: Any, sm: Any, table: str, package: str, project: str) -> None:
    def item(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    ddb.put_item(TableName=table, Item=item("STAGE#dev", "MARK#verified#0000000001"))  # its own: allowed
    for other in ("staging", "prod"):
        message = refused(ddb.put_item, TableName=table, Item=item(f"STAGE#{other}", "MARK#verified#0000000001"))
        assert "dynamodb:PutItem" in message and f"assumed-role/{project}-deployer-dev/" in message
        refused(ddb.delete_item, TableName=table, Key=item(f"STAGE#{other}", "HISTORY#1"))
        refused(
            sm.update_model_package,
            ModelPackageArn=package,
            CustomerMetadataProperties={f"deployer:verified:{other}": "forged"},
        )
    message = refused(sm.update_model_package, ModelPackageArn=package, ModelApprovalStatus="Rejected")
    assert "with an explicit deny" in message
    sm.update_model_package(ModelPackageArn=package, CustomerMetadataProperties={"deployer:verified:dev": "probe"})
