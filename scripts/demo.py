"""`make demo`: a model travels dev -> staging -> prod across four accounts on the local sandbox.

  1. start the sandbox (or wipe the one that runs)     5. approve v1: dev, staging, then prod after its plan
  2. build the deployer wheel (+ lock, wheelhouse)         and its approval (which names v1)
  3. terraform apply tooling, then envs/stage per stage 6. approve v2: canary to dev, linear to staging, and
  4. register a sample model as versions 1 and 2           prod after an approval that names v2
                                                        7. reject v2: dev and staging roll back through their
                                                           pipelines, prod through its rollback build (no
                                                           approval waits for a rejection)
                                                        8. the status matrix, and what next

Pipelines start from real events (the registry's approval event, the deployer's promotion event); their
CodeBuild actions (read from the pipeline: Plan, Deploy, Test, Promote) run through scripts/localbuild.py with each
project's own buildspec (inline from Terraform, or the repository's) and role. The sandbox
stops at the end unless KEEP=1 (or --keep). `--timings PATH` writes each step's wall time as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

from deployer.config import deep_merge

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_pipeline import PipelineRun
from deployer_dist import build_wheel, ensure_wheelhouse
from localbuild import BuildFailed, LocalCodeBuild, ensure_build_image

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / ".build"
PY = sys.executable
PLATFORM = "ml"  # envs/platform.tfvars
MODEL = "churn"  # its models map's one entry
PREFIX = f"{PLATFORM}-{MODEL}"  # the model's default prefix: its registry group; stage names come from outputs
STAGES = ("dev", "staging", "prod")
ENVS = ("tooling", *STAGES)
ADMIN_ROLE = "OrganizationAccountAccessRole"
IMAGE_REPOSITORY = f"{PREFIX}-inference"  # the inference image's ECR repository, in the tooling account


class DemoError(RuntimeError):
    pass


class Demo:
    def __init__(self, keep: bool, port: int, status_json: Path | None = None) -> None:
        self.keep = keep
        self.port = port
        self.status_json = status_json
        self.started = time.monotonic()
        self.timings: list[dict[str, Any]] = []
        self.env: dict[str, str] = {}
        self.accounts: dict[str, str] = {}
        self.sessions: dict[str, boto3.Session] = {}
        self.builders: dict[str, LocalCodeBuild] = {}
        self.seen_executions: dict[str, set[str]] = {s: set() for s in STAGES}
        self.outputs: dict[str, dict[str, Any]] = {}  # stage -> its envs/stage outputs (maps keyed by model)
        self.seen_builds: set[str] = set()
        self.registry_kms_key_arn = ""

    # -- output ---------------------------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.say(f"==> {name}")
        t0 = time.monotonic()
        yield
        seconds = time.monotonic() - t0
        self.timings.append({"name": name, "seconds": round(seconds, 2)})
        self.say(f"    done: {name} ({seconds:.1f}s)")

    # -- plumbing -------------------------------------------------------------------------------------------------

    def run(self, *cmd: str, env: dict[str, str] | None = None, quiet: bool = False) -> str:
        proc = subprocess.run(cmd, cwd=REPO, env=env or dict(os.environ), capture_output=True, text=True)
        if proc.returncode != 0:
            raise DemoError(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        if not quiet:
            for line in proc.stdout.strip().splitlines():
                print(f"    {line}", flush=True)
        return proc.stdout

    def session(self, name: str) -> boto3.Session:
        """An admin session in that account (the operator, not the pipeline). Endpoint: AWS_ENDPOINT_URL."""
        if name not in self.sessions:
            creds = boto3.client("sts").assume_role(
                RoleArn=f"arn:aws:iam::{self.accounts[name]}:role/{ADMIN_ROLE}", RoleSessionName=f"demo-operator-{name}"
            )["Credentials"]
            self.sessions[name] = boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                region_name=self.env["AWS_REGION"],
            )
        return self.sessions[name]

    def client(self, account: str, service: str) -> Any:
        return self.session(account).client(service)

    # -- 1. sandbox -----------------------------------------------------------------------------------------------

    def start_sandbox(self) -> None:
        status = subprocess.run(
            [PY, "-m", "sandbox", "status", "--output", "json"], cwd=REPO, capture_output=True, text=True
        )
        running = status.returncode == 0 and json.loads(status.stdout or "{}").get("running")
        if running:
            self.say("    a sandbox is already running: wiping its state for a clean demo")
            self.run(PY, "-m", "sandbox", "reset")
        else:
            self.run(PY, "-m", "sandbox", "start", "--port", str(self.port))
        self.env = json.loads(self.run(PY, "-m", "sandbox", "env", "--output", "json", quiet=True))
        self.accounts = {name: self.env[f"SANDBOX_ACCOUNT_{name.upper()}"] for name in ENVS}
        # This process and everything it starts talk to the sandbox: boto3 and Terraform read AWS_ENDPOINT_URL.
        os.environ.update(self.env)
        self.say(f"    AWS_ENDPOINT_URL={self.env['AWS_ENDPOINT_URL']} accounts={self.accounts}")

    def stop_sandbox(self) -> None:
        if self.keep:
            self.say(
                'KEEP=1: the sandbox keeps running. Point clients at it with: eval "$(.venv/bin/python -m sandbox env)"'
            )
        else:
            self.run(PY, "-m", "sandbox", "stop")

    # -- 2, 3. wheel and terraform --------------------------------------------------------------------------------

    def build_wheel(self) -> Path:
        """`make wheel` (reproducible wheel + lock in .build/dist) and the locked dependency wheels, which the stage
        roots upload (deployer_dependencies = "bundled"): the local builds install them as CodeBuild would,
        hash-checked, without an index."""
        wheel = build_wheel(BUILD / "dist", PY)
        ensure_wheelhouse(BUILD / "wheelhouse", python=PY)
        self.say(f"    {wheel.relative_to(REPO)} (+ requirements.lock; dependencies from .build/wheelhouse)")
        return wheel

    def image_repository(self) -> None:
        """The inference image's repository in the tooling account (an image team's, not Terraform's): the
        registry root gives it a pull policy for the stage execution roles, and the stage roots grant exactly it."""
        ecr = self.client("tooling", "ecr")
        with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
            ecr.create_repository(repositoryName=IMAGE_REPOSITORY)

    def apply(self, name: str, wheel: Path) -> None:
        env = {**os.environ, "DEPLOYER_WHEEL": str(wheel), "DEPLOYER_WHEELHOUSE": str(BUILD / "wheelhouse"),
               "SANDBOX_PYTHON": PY}  # fmt: skip
        if name == "tooling":
            env["TF_VAR_ecr_repository_names"] = json.dumps([IMAGE_REPOSITORY])
        else:
            # The stage roots grant the registry key by its exact ARN (the tooling output), not by alias, and
            # the image repository by its ARN.
            if self.registry_kms_key_arn:
                env["TF_VAR_registry_kms_key_arn"] = self.registry_kms_key_arn
            tooling, region = self.accounts["tooling"], self.env["AWS_REGION"]
            repository = f"arn:aws:ecr:{region}:{tooling}:repository/{IMAGE_REPOSITORY}"
            env["TF_VAR_ecr_repository_arns"] = json.dumps([repository])
        out = self.run(str(REPO / "scripts" / "tf-sandbox.sh"), name, "apply", "-auto-approve", "-no-color",
                       "-input=false", env=env, quiet=True)  # fmt: skip
        summary = next((line for line in out.splitlines() if line.startswith("Apply complete!")), "applied")
        self.say(f"    {name}: {summary}")

    def output(self, name: str, output: str) -> str:
        script = str(REPO / "scripts" / "tf-sandbox.sh")
        return self.run(script, name, "output", "-raw", "-no-color", output, quiet=True).strip()

    def read_stage_outputs(self, stage: str) -> None:
        script = str(REPO / "scripts" / "tf-sandbox.sh")
        raw = json.loads(self.run(script, stage, "output", "-json", "-no-color", quiet=True))
        self.outputs[stage] = {name: value["value"] for name, value in raw.items()}

    def name(self, stage: str, output: str) -> str:
        """The model's name in a stage's output map (e.g. pipeline_names -> ml-churn-dev)."""
        return str(self.outputs[stage][output][MODEL])

    # -- 4. model -------------------------------------------------------------------------------------------------

    def register_model(self) -> list[str]:
        tooling = self.accounts["tooling"]
        bucket = self.output("tooling", "artifact_bucket_name")
        s3 = self.client("tooling", "s3")
        sm = self.client("tooling", "sagemaker")
        arns = []
        image = f"{tooling}.dkr.ecr.{self.env['AWS_REGION']}.amazonaws.com/{IMAGE_REPOSITORY}:1.0"
        for version in (1, 2):
            key = f"models/{MODEL}/v{version}/model.tar.gz"
            s3.put_object(Bucket=bucket, Key=key, Body=_model_tarball(version))
            arn = sm.create_model_package(
                ModelPackageGroupName=PREFIX,
                ModelPackageDescription=f"{MODEL} sample model, training run {version}",
                ModelApprovalStatus="PendingManualApproval",
                InferenceSpecification={
                    "Containers": [
                        {
                            "Image": image,
                            "ModelDataUrl": f"s3://{bucket}/{key}",
                        }
                    ],
                    "SupportedContentTypes": ["text/csv", "application/json"],
                    "SupportedResponseMIMETypes": ["text/csv", "application/json"],
                    "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large", "ml.m5.xlarge"],
                },
            )["ModelPackageArn"]
            arns.append(arn)
            self.say(f"    registered v{version}: {arn} (PendingManualApproval), artifact s3://{bucket}/{key}")
        return arns

    def set_approval(self, arn: str, status: str, why: str) -> None:
        self.client("tooling", "sagemaker").update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus=status, ApprovalDescription=why
        )
        self.say(f"    {arn.rsplit('/', 1)[-1].join(['v', ''])}: {status} ({why})")

    # -- pipelines ------------------------------------------------------------------------------------------------

    def new_execution(self, stage: str, timeout: float = 30.0) -> dict[str, Any]:
        """The oldest execution of the stage's pipeline that the demo has not handled yet (events start them)."""
        cp = self.client(stage, "codepipeline")
        pipeline = self.name(stage, "pipeline_names")
        deadline = time.monotonic() + timeout
        while True:
            summaries = cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"]
            fresh = [s for s in reversed(summaries) if s["pipelineExecutionId"] not in self.seen_executions[stage]]
            if fresh:
                execution = fresh[0]
                self.seen_executions[stage].add(execution["pipelineExecutionId"])
                trigger = execution.get("trigger", {})
                self.say(
                    f"    {pipeline}: execution {execution['pipelineExecutionId'][:8]} started by "
                    f"{trigger.get('triggerType')} {trigger.get('triggerDetail', '').rsplit('/', 1)[-1]}"
                )
                return dict(execution)
            if time.monotonic() > deadline:
                raise DemoError(f"{pipeline}: no new execution within {timeout:.0f}s (did the event rule fire?)")
            time.sleep(0.2)

    def skip_executions(self, stage: str) -> None:
        """Mark every current execution as seen (the seed commit's first runs, before any model is approved)."""
        cp = self.client(stage, "codepipeline")
        for s in cp.list_pipeline_executions(pipelineName=self.name(stage, "pipeline_names"))[
            "pipelineExecutionSummaries"
        ]:
            self.seen_executions[stage].add(s["pipelineExecutionId"])

    def run_stage(self, stage: str, execution: dict[str, Any], decide: tuple[str, str] | None = None) -> bool:
        """The pipeline's CodeBuild actions (Plan, Deploy, Test, Promote) and its approval, in pipeline order;
        False when the approval said no."""
        revision = (execution.get("sourceRevisions") or [{}])[0].get("revisionId", "") or self.head(stage)
        where = {
            "account": self.accounts[stage],
            "region": self.session(stage).region_name or "us-east-1",
            "pipeline": self.name(stage, "pipeline_names"),
            "repository": self.name(stage, "repository_names"),
            "stage": stage,
            "endpoint_url": self.env["AWS_ENDPOINT_URL"],
        }
        run = PipelineRun(self.client(stage, "codepipeline"), self.builders[stage], where, self.say)
        return run.drive(execution, revision, decide)

    def head(self, stage: str) -> str:
        repository = self.name(stage, "repository_names")
        branch = self.client(stage, "codecommit").get_branch(repositoryName=repository, branchName="main")
        return str(branch["branch"]["commitId"])

    def rollback_builds(self, stage: str, timeout: float = 30.0) -> None:
        """Run the rollback builds that the registry's rejection started (EventBridge -> CodeBuild), outside
        the pipeline: no approval waits for them."""
        project = f"{self.name(stage, 'pipeline_names')}-rollback"
        cb = self.client(stage, "codebuild")
        deadline = time.monotonic() + timeout
        while not (
            started := [b for b in cb.list_builds_for_project(projectName=project)["ids"] if b not in self.seen_builds]
        ):
            if time.monotonic() > deadline:
                raise DemoError(f"{project}: the rejection started no build (did the event rule fire?)")
            time.sleep(0.2)
        for build_id in started:
            self.seen_builds.add(build_id)
            self.say(f"    {project}: build {build_id.rsplit(':', 1)[-1][:8]} started by the rejection event")
            repository = self.name(stage, "repository_names")
            self.builders[stage].run(
                project, repository, self.head(stage), label=f"{stage}/rollback", started_build=build_id
            )

    def status(self) -> None:
        config_dir = BUILD / "demo" / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        for stage in STAGES:
            blob = self.client(stage, "codecommit").get_file(
                repositoryName=self.name(stage, "repository_names"), filePath=f"config/{stage}.json"
            )
            # The team's file over the platform config Terraform wrote to SSM, as the pipeline's deployer reads it.
            parameter = self.client(stage, "ssm").get_parameter(
                Name=self.name(stage, "platform_config_parameter_names"), WithDecryption=True
            )["Parameter"]["Value"]
            merged = deep_merge(json.loads(parameter), json.loads(blob["fileContent"]))
            (config_dir / f"{stage}.json").write_text(json.dumps(merged, indent=2))
        # The operator reads every account through its admin role (the configs name the pipeline's roles).
        status = (PY, "-m", "deployer", "--config-dir", str(config_dir), "status", "--read-role-name", ADMIN_ROLE)
        self.run(*status)
        if self.status_json:
            out = self.run(*status, "--output", "json", quiet=True)
            self.status_json.parent.mkdir(parents=True, exist_ok=True)
            self.status_json.write_text(out)


def _model_tarball(version: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = json.dumps({"model": MODEL, "training_run": version}).encode()
        info = tarfile.TarInfo("model.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", default=os.environ.get("KEEP") == "1",
                        help="leave the sandbox running at the end (env KEEP=1)")  # fmt: skip
    parser.add_argument("--timings", type=Path, help="write each step's wall time here as JSON")
    parser.add_argument("--status-json", type=Path, help="write the final `deployer status` JSON here")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "5055")),
                        help="sandbox port when it is not running yet (env SANDBOX_PORT; 5055)")  # fmt: skip
    args = parser.parse_args(argv)
    demo = Demo(args.keep, args.port, args.status_json)
    ok = False
    # Two demos at once would share the Terraform data dirs and the local build image: take turns.
    BUILD.mkdir(parents=True, exist_ok=True)
    lock = open(BUILD / "demo.lock", "w")  # noqa: SIM115 (held for the whole run)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("another `make demo` is running on this checkout; waiting for it to finish", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        ok = _scenario(demo)
    except (DemoError, BuildFailed) as exc:
        demo.say(f"DEMO FAILED: {exc}")
    finally:
        if args.timings:
            args.timings.parent.mkdir(parents=True, exist_ok=True)
            total = round(time.monotonic() - demo.started, 2)
            args.timings.write_text(json.dumps({"steps": demo.timings, "total_seconds": total, "ok": ok}, indent=2))
        if demo.env:
            demo.stop_sandbox()
    return 0 if ok else 1


def _scenario(demo: Demo) -> bool:
    with demo.step("1/8 start the local AWS sandbox"):
        demo.start_sandbox()
    with demo.step("2/8 build the deployer wheel that CodeBuild installs"):
        wheel = demo.build_wheel()
    with demo.step(f"3/8 terraform apply envs/tooling (account {demo.accounts['tooling']})"):
        demo.image_repository()
        demo.apply("tooling", wheel)
        demo.registry_kms_key_arn = demo.output("tooling", "kms_key_arn")
    # The stage roots read no other state (every cross-account name is deterministic): apply them side by side.
    with (
        demo.step("3/8 terraform apply envs/stage for dev, staging, prod (in parallel; one state each)"),
        ThreadPoolExecutor(max_workers=len(STAGES)) as pool,
    ):
        for future in [pool.submit(demo.apply, stage, wheel) for stage in STAGES]:
            future.result()
        for stage in STAGES:
            demo.read_stage_outputs(stage)
    bin_dir = ensure_build_image(BUILD / "codebuild-image")
    extra = {
        "AWS_ENDPOINT_URL": demo.env["AWS_ENDPOINT_URL"],
        "DEPLOYER_POLL_SECONDS": demo.env["DEPLOYER_POLL_SECONDS"],
    }
    for stage in STAGES:
        demo.builders[stage] = LocalCodeBuild(demo.session(stage), bin_dir, BUILD / "demo" / "builds", extra)
        demo.skip_executions(stage)

    with demo.step("4/8 register a sample model as versions 1 and 2"):
        v1, v2 = demo.register_model()

    with demo.step("5/8 approve v1: dev -> staging -> (plan, manual approval) -> prod"):
        demo.set_approval(v1, "Approved", "offline metrics pass")
        demo.run_stage("dev", demo.new_execution("dev"))
        demo.run_stage("staging", demo.new_execution("staging"))
        demo.run_stage("prod", demo.new_execution("prod"), ("Approved", "v1 verified in staging; go"))

    with demo.step("6/8 approve v2: canary to dev, linear to staging; prod's approval names v2 and says yes"):
        demo.set_approval(v2, "Approved", "better offline AUC")
        demo.run_stage("dev", demo.new_execution("dev"))
        demo.run_stage("staging", demo.new_execution("staging"))
        demo.run_stage("prod", demo.new_execution("prod"), ("Approved", "the approval names v2, verified in staging"))

    with demo.step("7/8 reject v2 in the registry: every stage rolls back to v1, prod without an approval"):
        demo.set_approval(v2, "Rejected", "bias found in a post-release audit")
        for stage in ("dev", "staging"):
            demo.run_stage(stage, demo.new_execution(stage))
        demo.rollback_builds("prod")

    with demo.step("8/8 where every version lives"):
        demo.status()
    demo.say("IAM: every call above ran as its own role; the calls denied and the grants nothing used:")
    demo.run(PY, "-m", "sandbox", "iam-report", "--summary")
    demo.say(
        'what next: KEEP=1 make demo keeps the sandbox; then `eval "$(.venv/bin/python -m sandbox env)"` and '
        "explore with boto3 or the deployer (README: Quickstart). For real AWS: README, 'Real AWS, step by step'."
    )
    return True


if __name__ == "__main__":
    sys.exit(main())
