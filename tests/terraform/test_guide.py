"""The README's real-AWS guide, run verbatim against the sandbox from a fresh copy of the repository.

What differs from real AWS is only what a user's own shell holds: the endpoint URL and credentials in the
environment (AWS_ENDPOINT_URL for the AWS CLI, TF_VAR_aws_endpoint_url for the roots) and the principal the
bootstrap trusts (TF_VAR_trusted_principal_arns: here the sandbox's administrator, the tooling account's
root). Production defaults stay on: no force_destroy, deletion protection on the ledger, 30-day KMS
windows; the guide's teardown turns off what it must, and this test proves that is enough.

Between the steps the test checks what each one promises: every root re-plans with no changes, the
Terraform roles are the ones in use (least privilege, enforced by the sandbox), the dev stage cannot forge
another stage's records, the approval starts the dev pipeline, and teardown leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer.config import PlatformConfig, load_stage_config
from sandbox.harness import Sandbox, running
from tests.conftest import ACCOUNTS, REPO
from tests.terraform.conftest import PLUGIN_CACHE, TERRAFORMRC, require_terraform
from tests.terraform.guide import guide_steps
from tests.terraform.iam_probe import (
    DEV,
    dev_cannot_forge_other_stages,
    dev_reads_registered_metrics,
    platform_config_as,
    probe_platform_config,
    probe_test_role,
)

sys.path.insert(0, str(REPO / "scripts"))
from deployer_dist import LOCK_NAME, sha256
from localbuild import BUILD_RESULT_PATH, BuildFailed, LocalCodeBuild, ensure_build_image

README = REPO / "README.md"
# The guide's steps, in the order a reader runs them: a renamed, dropped or reordered step fails here.
EXPECTED = [
    "bootstrap",
    "wheel",
    "apply",
    "register",
    "onboard",
    "teardown",
    "destroy-stages",
    "destroy-tooling",
    "destroy-bootstrap",
]
ENVS = ("tooling", "dev", "staging", "prod")
STAGES = ("dev", "staging", "prod")
TIMEOUT_S = 1800
PLATFORM = "ml"  # envs/platform.tfvars: the Terraform roles, ledger and artifact bucket
MODEL = "churn"  # its one model
PREFIX = f"{PLATFORM}-{MODEL}"  # the model's resources: group, repos, pipelines, endpoints, roles
PREFIXES = (PREFIX, f"{PLATFORM}-fraud")  # and the second model's, onboarded by the guide's "onboard" step
OPERATOR = f"arn:aws:iam::{ACCOUNTS['tooling']}:root"  # the sandbox's administrator


def test_readme_guide_has_every_step_in_order() -> None:
    assert [s.name for s in guide_steps(README)] == EXPECTED


def _copy_repository(dest: Path) -> Path:
    """The repository's files as a clone has them (tracked and new, not ignored), plus the local venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    (dest / ".venv").symlink_to(REPO / ".venv")  # `make setup` done, as the guide's prerequisites say
    return dest


def _build_image() -> Path:
    """The local CodeBuild image's bin (python, pip, the AWS CLI): the operator's AWS CLI too."""
    return Path(ensure_build_image(REPO / ".build" / "codebuild-image"))


def _aws_config(path: Path) -> Path:
    """What the guide's teardown asks the operator to have: a profile per stage account assuming the bootstrap's
    Terraform role, from the credentials in the environment."""
    profiles = [
        f"[profile {PLATFORM}-{env}]\nrole_arn = arn:aws:iam::{ACCOUNTS[env]}:role/{PLATFORM}-terraform\n"
        "credential_source = Environment\n"
        for env in STAGES
    ]
    path.write_text("\n".join(profiles))
    (path.parent / "home").mkdir(exist_ok=True)
    return path


class CodeBuildStandIn(threading.Thread):
    """Stands for CodeBuild: runs each build started in a stage's teardown project (no source) with the local
    build runner, as the stage's deploy role, and reports how it ended (the sandbox keeps it IN_PROGRESS until
    then). The guide's own commands start the builds and wait for them."""

    def __init__(self, sandbox: Sandbox, bin_dir: Path, work_root: Path) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.stop = sandbox, threading.Event()
        extra = {"AWS_ENDPOINT_URL": sandbox.url, "DEPLOYER_POLL_SECONDS": sandbox.env["DEPLOYER_POLL_SECONDS"]}
        self.builders = {s: LocalCodeBuild(sandbox.session(s), bin_dir, work_root, extra) for s in STAGES}
        self.ran: dict[str, str] = {}  # <prefix>-<stage> -> SUCCEEDED | FAILED

    def run(self) -> None:
        while not self.stop.wait(0.5):
            for stage in STAGES:
                for prefix in PREFIXES:
                    if f"{prefix}-{stage}" not in self.ran:
                        self._start_pending(stage, prefix)

    def _start_pending(self, stage: str, prefix: str) -> None:
        project, slot = f"{prefix}-{stage}-teardown", f"{prefix}-{stage}"
        codebuild: Any = self.builders[stage].operator.client("codebuild")
        try:
            builds = codebuild.list_builds_for_project(projectName=project)["ids"]
        except ClientError:
            return  # not applied yet
        for build_id in builds:
            try:
                self.builders[stage].run(project, None, "", label=f"{slot}/teardown", started_build=build_id)
                self.ran[slot] = "SUCCEEDED"
            except BuildFailed:
                self.ran[slot] = "FAILED"
            except Exception as exc:  # the runner itself broke: end the build, so the guide's wait ends too
                self.ran[slot] = f"runner error: {exc!r}"
                self.builders[stage]._sandbox_post(BUILD_RESULT_PATH, {"build_id": build_id, "status": "FAULT"})


def _edit_tfvars(work: Path) -> None:
    """What a user edits before the bootstrap: who may assume the Terraform roles (here the sandbox's
    administrator). The account ids in the committed tfvars are the sandbox's already."""
    tfvars = work / "envs" / "bootstrap" / "terraform.tfvars"
    text, count = re.subn(
        r"(?m)^trusted_principal_arns\s*=.*$", f'trusted_principal_arns = ["{OPERATOR}"]', tfvars.read_text()
    )
    assert count == 1, f"{tfvars}: no trusted_principal_arns line to edit"
    tfvars.write_text(text)


def _model_tarball(path: Path) -> None:
    payload = path.parent / "model.json"
    payload.write_text(json.dumps({"model": MODEL, "training_run": 1}))
    with tarfile.open(path, "w:gz") as tar:
        tar.add(payload, arcname="model.json")
    payload.unlink()


class Guide:
    """Runs the guide's blocks in a copy of the repository, with the operator's environment."""

    def __init__(
        self, sandbox: Sandbox, work: Path, cli_bin: Path, aws_config: Path, codebuild: CodeBuildStandIn
    ) -> None:
        self.sandbox = sandbox
        self.work = work
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TF_VAR_", "AWS_", "TF_DATA_DIR"))},
            **sandbox.env,
            "PATH": f"{cli_bin}{os.pathsep}{os.environ['PATH']}",
            "AWS_CONFIG_FILE": str(aws_config),
            # The AWS CLI caches assumed-role credentials under ~/.aws/cli/cache: an earlier sandbox's would be
            # refused here. The operator's home is this run's own.
            "HOME": str(aws_config.parent / "home"),
            "TF_VAR_aws_endpoint_url": sandbox.url,
            "TF_CLI_CONFIG_FILE": str(TERRAFORMRC),
            "TF_PLUGIN_CACHE_DIR": str(PLUGIN_CACHE),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
        self.codebuild = codebuild
        self.logs = work.parent / "logs"
        self.logs.mkdir(exist_ok=True)

    def bash(self, name: str, code: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code],
            cwd=self.work, env=self.env, capture_output=True, text=True, timeout=TIMEOUT_S,
        )  # fmt: skip
        (self.logs / f"{name}.log").write_text(f"{code}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
        return proc

    def step(self, name: str, code: str) -> None:
        proc = self.bash(name, code)
        assert proc.returncode == 0, (
            f"README guide step {name!r} exited {proc.returncode}\n{code}\n"
            f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )

    def replans_clean(self, env_name: str) -> None:
        proc = self.bash(f"{env_name}-replan", f"{plan_command(env_name)} -input=false -detailed-exitcode")
        assert proc.returncode == 0, f"{env_name}: re-plan after the guide's apply is not clean\n{proc.stdout[-6000:]}"


def plan_command(env_name: str, command: str = "plan") -> str:
    """`terraform plan` (or apply) of a root as the guide runs it: tooling, or envs/stage with a stage's file and
    its data dir."""
    if env_name == "tooling":
        return f"terraform -chdir=envs/tooling {command} -var-file=../platform.tfvars"
    return (
        f"TF_DATA_DIR=.terraform-{env_name} terraform -chdir=envs/stage {command}"
        f" -var-file=../platform.tfvars -var-file={env_name}.tfvars"
    )


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guide]:
    require_terraform()
    tmp = tmp_path_factory.mktemp("guide")
    work = _copy_repository(tmp / "repo")
    _edit_tfvars(work)
    _model_tarball(work / "model.tar.gz")
    image = _build_image()
    # The stand-in's clients (and the local build runner's) talk to this sandbox, never anywhere else.
    with running(tmp) as box, box.environment():
        codebuild = CodeBuildStandIn(box, image, tmp / "builds")
        codebuild.start()
        try:
            yield Guide(box, work, image, _aws_config(tmp / "aws-config"), codebuild)
        finally:
            codebuild.stop.set()
            codebuild.join(timeout=600)


@pytest.mark.slow
def test_readme_guide_runs_verbatim_against_the_sandbox(guide: Guide) -> None:
    steps = {s.name: s for s in guide_steps(README)}
    guide.step("bootstrap", steps["bootstrap"].code)
    _terraform_roles_exist(guide.sandbox)
    guide.step("wheel", steps["wheel"].code)
    guide.step("apply", steps["apply"].code)
    for env_name in ENVS:
        guide.replans_clean(env_name)
    dev_cannot_forge_other_stages(guide.sandbox, PREFIX, PLATFORM)
    dev_reads_registered_metrics(guide.sandbox, PREFIX, PLATFORM)
    probe_test_role(guide.sandbox, PREFIX, PLATFORM)
    probe_platform_config(guide.sandbox, PREFIX, PLATFORM)
    _deployer_build_uploaded(guide)
    _team_edits_survive_a_reapply(guide)
    guide.step("register", steps["register"].code)
    _approval_started_dev_pipeline(guide.sandbox)
    guide.step("onboard", steps["onboard"].code)
    _second_model_onboarded(guide)
    guide.step("teardown", steps["teardown"].code)
    slots = [f"{prefix}-{stage}" for prefix in PREFIXES for stage in STAGES]
    assert guide.codebuild.ran == dict.fromkeys(slots, "SUCCEEDED"), guide.codebuild.ran
    for name in ("destroy-stages", "destroy-tooling", "destroy-bootstrap"):
        guide.step(name, steps[name].code)
    _nothing_left(guide.sandbox)


def _terraform_roles_exist(sandbox: Sandbox) -> None:
    for account in ENVS:
        role = sandbox.client("iam", account).get_role(RoleName=f"{PLATFORM}-terraform")["Role"]
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        principals = trust["Statement"][0]["Principal"]["AWS"]
        assert principals in ([OPERATOR], OPERATOR), f"{account}: {PLATFORM}-terraform trusts {principals}"


def _approval_started_dev_pipeline(sandbox: Sandbox) -> None:
    """The approval event reached the dev bus through the tooling rule and started the dev pipeline."""
    cp: Any = sandbox.client("codepipeline", "dev")
    executions = cp.list_pipeline_executions(pipelineName=f"{PREFIX}-dev")["pipelineExecutionSummaries"]
    triggers = [e.get("trigger", {}).get("triggerType") for e in executions]
    assert "CloudWatchEvent" in triggers or len(executions) >= 2, executions


def _second_model_onboarded(guide: Guide) -> None:
    """fraud has its group and, in every stage, its own pipeline; churn's pipeline and group are the ones from
    before (the plans of the onboarding created only fraud's resources: tests/terraform/test_models.py)."""
    sm: Any = guide.sandbox.client("sagemaker", "tooling")
    assert sm.describe_model_package_group(ModelPackageGroupName=f"{PLATFORM}-fraud")["ModelPackageGroupStatus"]
    assert sm.list_model_packages(ModelPackageGroupName=f"{PLATFORM}-fraud")["ModelPackageSummaryList"] == []
    for stage in STAGES:
        cp: Any = guide.sandbox.client("codepipeline", stage)
        names = {p["name"] for p in cp.list_pipelines()["pipelines"]}
        assert {f"{PREFIX}-{stage}", f"{PLATFORM}-fraud-{stage}"} <= names, f"{stage}: pipelines {names}"
    for env_name in ENVS:
        guide.replans_clean(env_name)


def _nothing_left(sandbox: Sandbox) -> None:
    for account in ENVS:
        roles = sandbox.client("iam", account).list_roles()["Roles"]
        left = [r["RoleName"] for r in roles if r["RoleName"].startswith(f"{PLATFORM}-")]
        assert not left, f"{account}: roles left after teardown: {left}"
        buckets = [b["Name"] for b in sandbox.client("s3", account).list_buckets()["Buckets"]]
        assert not [b for b in buckets if b.startswith(f"{PLATFORM}-")], f"{account}: buckets left: {buckets}"


def _deployer_build_uploaded(guide: Guide) -> None:
    """dev's CodeBuild projects name the exact wheel and lock `make wheel` built, by content hash, and the
    objects hold those bytes (dependencies from PyPI, the default; the bundled mode: test_supply_chain.py)."""
    output = "TF_DATA_DIR=.terraform-dev terraform -chdir=envs/stage output -no-color -json deployer_builds"
    proc = guide.bash("dev-output", output)
    assert proc.returncode == 0, proc.stderr[-3000:]
    build = json.loads(proc.stdout)[MODEL]
    [wheel] = sorted((guide.work / "dist").glob("mlops_deployer-*.whl"))
    assert build["wheel_sha256"] == sha256(wheel) and build["lock_sha256"] == sha256(wheel.parent / LOCK_NAME)
    assert build["wheel_s3_uri"].endswith(f"/sha256-{build['wheel_sha256']}/{wheel.name}"), build
    assert build["dependencies"] == "pypi" and not build["wheelhouse_s3_uri"], build
    s3: Any = guide.sandbox.client("s3", "dev")
    for uri, digest in ((build["wheel_s3_uri"], build["wheel_sha256"]), (build["lock_s3_uri"], build["lock_sha256"])):
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        assert hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest() == digest, uri
    codebuild: Any = guide.sandbox.client("codebuild", "dev")
    [project] = codebuild.batch_get_projects(names=[f"{PREFIX}-dev-deploy"])["projects"]
    env = {e["name"]: e["value"] for e in project["environment"]["environmentVariables"]}
    assert (env["DEPLOYER_WHEEL_S3_URI"], env["DEPLOYER_WHEEL_SHA256"], env["DEPLOYER_LOCK_S3_URI"]) == (
        build["wheel_s3_uri"], build["wheel_sha256"], build["lock_s3_uri"],
    )  # fmt: skip


def _team_edits_survive_a_reapply(guide: Guide) -> None:
    """The team edits its buildspec and config/dev.json; the platform re-applies dev with new defaults. Both edits
    stay, and the deploy role reads the new Terraform facts from SSM (the repository carries none of them)."""
    cc: Any = guide.sandbox.client("codecommit", "dev")
    repo = f"{PREFIX}-dev"

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
    guide.step("dev-reapply", f"{plan_command('dev', 'apply')} -input=false -auto-approve -var='{new_defaults}'")
    assert content("buildspecs/test.yml") == buildspec and content("config/dev.json") == team_config
    platform = platform_config_as(guide.sandbox, PREFIX, f"{PREFIX}-dev-codebuild", f"{PREFIX}-dev-deploy")
    assert platform["deployment"]["wait_seconds"] == 120 and platform["deployment"]["strategy"] == "linear"
    assert platform["target"]["account_id"] == DEV
    team = tmp_config_dir(team_config)
    parameter = PlatformConfig(f"/{PREFIX}/dev/deployer/config", platform)
    config = load_stage_config(team, "dev", platform=lambda: parameter)
    assert config.deployment.strategy == "all_at_once" and config.deployment.wait_seconds == 120


def tmp_config_dir(team_config: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="guide-team-config-"))
    (folder / "dev.json").write_bytes(team_config)
    return folder
