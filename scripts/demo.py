"""`make demo`: two models, churn and fraud, travel dev -> staging -> prod across four accounts on the local
sandbox, each at its own pace.

  1. start the sandbox (or wipe the one that runs)
  2. build the deployer wheel (+ lock, wheelhouse)
  3. terraform apply tooling, then envs/stage per stage, from a platform file with both models
     (.build/demo/platform.tfvars: envs/platform.tfvars plus fraud)
  4. register each model's sample versions 1 and 2 in its own group (ml-churn, ml-fraud)
  5. approve churn v1 and fraud v1: side by side, each through dev, staging, then prod after its plan and its
     approval (which names the version)
  6. approve churn v2 and fraud v2, side by side: churn v2 goes to dev (canary), staging (linear) and prod after
     an approval that names it; fraud v2 goes to dev and staging, and prod's approver refuses it
  7. reject fraud v2 in the registry: fraud's dev and staging roll back to fraud v1 through its pipelines, its
     prod rollback build finds v1 live and leaves it (no approval waits for a rejection); churn's endpoints,
     ledger and pipelines are checked untouched
  8. the fleet status (both models x three stages), the IAM report (zero denials), and what next

Pipelines start from real events (the registry's approval event, the deployer's promotion event); their
CodeBuild actions (read from the pipeline: Plan, Deploy, Test, Promote) run through scripts/localbuild.py with each
project's own buildspec (inline from Terraform, or the repository's) and role; each model's runs go on a thread of
their own, with a build image of their own, so their output interleaves ([churn dev/deploy], [fraud dev/deploy]).
The sandbox stops at the end unless KEEP=1 (or --keep). `--timings PATH` writes each step's wall time as JSON;
`--evidence PATH` writes what step 7 compared (churn before and after fraud's rejection).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
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
DEMO_DIR = BUILD / "demo"
PY = sys.executable
PLATFORM = "ml"  # envs/platform.tfvars
MODELS = ("churn", "fraud")  # churn: envs/platform.tfvars's entry; fraud: added by the demo's platform file
FRAUD_ENTRY = 'fraud = { description = "Card transaction fraud scorer" } # added by scripts/demo.py'
STAGES = ("dev", "staging", "prod")
ENVS = ("tooling", *STAGES)
ADMIN_ROLE = "OrganizationAccountAccessRole"


def prefix(model: str) -> str:
    """The model's default prefix: its registry group; stage names come from outputs."""
    return f"{PLATFORM}-{model}"


def image_repository(model: str) -> str:
    """The model's inference image repository, in the tooling account (an image team's, not Terraform's)."""
    return f"{prefix(model)}-inference"


def demo_platform_file(path: Path, source: Path = REPO / "envs" / "platform.tfvars") -> Path:
    """envs/platform.tfvars with fraud added to its models map (churn and everything else as shipped)."""
    text = source.read_text()
    start = text.index("models = {")
    depth, end = 0, start
    for end in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    if "fraud" not in text[start:end]:
        text = f"{text[:end]}  {FRAUD_ENTRY}\n{text[end:]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class DemoError(RuntimeError):
    pass


class Demo:
    def __init__(self, keep: bool, port: int, status_json: Path | None = None, evidence: Path | None = None) -> None:
        self.keep = keep
        self.port = port
        self.status_json = status_json
        self.evidence = evidence
        self.started = time.monotonic()
        self.timings: list[dict[str, Any]] = []
        self.env: dict[str, str] = {}
        self.accounts: dict[str, str] = {}
        self.sessions: dict[tuple[str, str], boto3.Session] = {}
        self.lock = threading.Lock()  # boto3 sessions are not thread-safe: one per (account, model), made here
        self.builders: dict[tuple[str, str], LocalCodeBuild] = {}  # (model, stage): its own build image
        self.seen_executions: dict[tuple[str, str], set[str]] = {(m, s): set() for m in MODELS for s in STAGES}
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

    def side_by_side(self, *lanes: Callable[[], object]) -> None:
        """Run each lane (one model's story) on a thread of its own; the first failure fails the step."""
        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            for future in [pool.submit(lane) for lane in lanes]:
                future.result()

    # -- plumbing -------------------------------------------------------------------------------------------------

    def run(self, *cmd: str, env: dict[str, str] | None = None, quiet: bool = False) -> str:
        proc = subprocess.run(cmd, cwd=REPO, env=env or dict(os.environ), capture_output=True, text=True)
        if proc.returncode != 0:
            raise DemoError(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        if not quiet:
            for line in proc.stdout.strip().splitlines():
                print(f"    {line}", flush=True)
        return proc.stdout

    def session(self, name: str, model: str = "") -> boto3.Session:
        """An admin session in that account (the operator, not the pipeline), one per model's thread.
        Endpoint: AWS_ENDPOINT_URL."""
        with self.lock:
            if (name, model) not in self.sessions:
                creds = (
                    boto3.Session()
                    .client("sts")
                    .assume_role(
                        RoleArn=f"arn:aws:iam::{self.accounts[name]}:role/{ADMIN_ROLE}",
                        RoleSessionName=f"demo-operator-{name}",
                    )["Credentials"]
                )
                self.sessions[name, model] = boto3.Session(
                    aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"],
                    region_name=self.env["AWS_REGION"],
                )
            return self.sessions[name, model]

    def client(self, account: str, service: str, model: str = "") -> Any:
        session = self.session(account, model)
        with self.lock:
            return session.client(service)

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

    def platform_file(self) -> None:
        """The demo's platform: envs/platform.tfvars (unchanged) plus fraud, for every root (tf-sandbox.sh)."""
        path = demo_platform_file(DEMO_DIR / "platform.tfvars")
        os.environ["TF_SANDBOX_PLATFORM_TFVARS"] = str(path)
        self.say(f"    {path.relative_to(REPO)}: envs/platform.tfvars with models {', '.join(MODELS)}")

    def image_repositories(self) -> None:
        """Each model's inference image repository in the tooling account (an image team's, not Terraform's): the
        registry root gives them a pull policy for the stage execution roles, and the stage roots grant exactly
        them."""
        ecr = self.client("tooling", "ecr")
        for model in MODELS:
            with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
                ecr.create_repository(repositoryName=image_repository(model))

    def apply(self, name: str, wheel: Path) -> None:
        env = {**os.environ, "DEPLOYER_WHEEL": str(wheel), "DEPLOYER_WHEELHOUSE": str(BUILD / "wheelhouse"),
               "SANDBOX_PYTHON": PY}  # fmt: skip
        if name == "tooling":
            env["TF_VAR_ecr_repository_names"] = json.dumps([image_repository(m) for m in MODELS])
        else:
            # The stage roots grant the registry key by its exact ARN (the tooling output), not by alias, and
            # the image repositories by their ARNs.
            if self.registry_kms_key_arn:
                env["TF_VAR_registry_kms_key_arn"] = self.registry_kms_key_arn
            tooling, region = self.accounts["tooling"], self.env["AWS_REGION"]
            repositories = [f"arn:aws:ecr:{region}:{tooling}:repository/{image_repository(m)}" for m in MODELS]
            env["TF_VAR_ecr_repository_arns"] = json.dumps(repositories)
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

    def name(self, model: str, stage: str, output: str) -> str:
        """The model's name in a stage's output map (e.g. pipeline_names -> ml-fraud-dev)."""
        return str(self.outputs[stage][output][model])

    # -- 4. models ------------------------------------------------------------------------------------------------

    def register_model(self, model: str, bucket: str) -> list[str]:
        tooling = self.accounts["tooling"]
        s3 = self.client("tooling", "s3")
        sm = self.client("tooling", "sagemaker")
        arns = []
        image = f"{tooling}.dkr.ecr.{self.env['AWS_REGION']}.amazonaws.com/{image_repository(model)}:1.0"
        for version in (1, 2):
            key = f"models/{model}/v{version}/model.tar.gz"
            s3.put_object(Bucket=bucket, Key=key, Body=_model_tarball(model, version))
            arn = sm.create_model_package(
                ModelPackageGroupName=prefix(model),
                ModelPackageDescription=f"{model} sample model, training run {version}",
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
            self.say(f"    {model}: registered v{version}: {arn} (PendingManualApproval), artifact s3://{bucket}/{key}")
        return arns

    def set_approval(self, model: str, arn: str, status: str, why: str) -> None:
        self.client("tooling", "sagemaker", model).update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus=status, ApprovalDescription=why
        )
        self.say(f"    {model} v{arn.rsplit('/', 1)[-1]}: {status} ({why})")

    # -- pipelines ------------------------------------------------------------------------------------------------

    def executions(self, model: str, stage: str) -> list[dict[str, Any]]:
        cp = self.client(stage, "codepipeline", model)
        pipeline = self.name(model, stage, "pipeline_names")
        return list(cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"])

    def new_execution(self, model: str, stage: str, timeout: float = 30.0) -> dict[str, Any]:
        """The oldest execution of the model's stage pipeline that the demo has not handled yet (events start
        them)."""
        pipeline = self.name(model, stage, "pipeline_names")
        seen = self.seen_executions[model, stage]
        deadline = time.monotonic() + timeout
        while True:
            fresh = [s for s in reversed(self.executions(model, stage)) if s["pipelineExecutionId"] not in seen]
            if fresh:
                execution = fresh[0]
                seen.add(execution["pipelineExecutionId"])
                trigger = execution.get("trigger", {})
                self.say(
                    f"    {pipeline}: execution {execution['pipelineExecutionId'][:8]} started by "
                    f"{trigger.get('triggerType')} {trigger.get('triggerDetail', '').rsplit('/', 1)[-1]}"
                )
                return dict(execution)
            if time.monotonic() > deadline:
                raise DemoError(f"{pipeline}: no new execution within {timeout:.0f}s (did the event rule fire?)")
            time.sleep(0.2)

    def skip_executions(self, model: str, stage: str) -> None:
        """Mark every current execution as seen (the seed commit's first runs, before any model is approved)."""
        for s in self.executions(model, stage):
            self.seen_executions[model, stage].add(s["pipelineExecutionId"])

    def run_stage(self, model: str, stage: str, decide: tuple[str, str] | None = None) -> bool:
        """The model's next pipeline execution in that stage: its CodeBuild actions (Plan, Deploy, Test, Promote)
        and its approval, in pipeline order; False when the approval said no."""
        execution = self.new_execution(model, stage)
        revision = (execution.get("sourceRevisions") or [{}])[0].get("revisionId", "") or self.head(model, stage)
        where = {
            "account": self.accounts[stage],
            "region": self.session(stage, model).region_name or "us-east-1",
            "pipeline": self.name(model, stage, "pipeline_names"),
            "repository": self.name(model, stage, "repository_names"),
            "stage": stage,
            "model": model,
            "endpoint_url": self.env["AWS_ENDPOINT_URL"],
        }
        cp = self.client(stage, "codepipeline", model)
        run = PipelineRun(cp, self.builders[model, stage], where, self.say)
        return run.drive(execution, revision, decide)

    def travel(self, model: str, version: int, prod: tuple[str, str]) -> bool:
        """One model's version through dev, staging and prod (whose approval decides `prod`); False when refused."""
        self.run_stage(model, "dev")
        self.run_stage(model, "staging")
        approved = self.run_stage(model, "prod", prod)
        self.say(f"    {model} v{version}: {'live in prod' if approved else 'refused at prod approval, not deployed'}")
        return approved

    def head(self, model: str, stage: str) -> str:
        repository = self.name(model, stage, "repository_names")
        codecommit = self.client(stage, "codecommit", model)
        return str(codecommit.get_branch(repositoryName=repository, branchName="main")["branch"]["commitId"])

    def rollback_project(self, model: str, stage: str) -> str:
        return f"{self.name(model, stage, 'pipeline_names')}-rollback"

    def rollback_builds(self, model: str, stage: str, timeout: float = 30.0) -> None:
        """Run the rollback builds that the registry's rejection started (EventBridge -> CodeBuild), outside
        the pipeline: no approval waits for them."""
        project = self.rollback_project(model, stage)
        cb = self.client(stage, "codebuild", model)
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
            repository = self.name(model, stage, "repository_names")
            self.builders[model, stage].run(
                project,
                repository,
                self.head(model, stage),
                label=f"{model} {stage}/rollback",
                started_build=build_id,
            )

    # -- 7. what a model's rejection may not touch ----------------------------------------------------------------

    def snapshot(self, model: str) -> dict[str, Any]:
        """What another model's rejection must leave alone: per stage, the model's endpoint (config, status, last
        modification), its pipeline's executions and rollback builds, and its ledger partition (history and marks)."""
        table = self.output("tooling", "ledger_table_name")
        ddb = self.client("tooling", "dynamodb", model)
        stages: dict[str, Any] = {}
        for stage in STAGES:
            endpoint = self.client(stage, "sagemaker", model).describe_endpoint(
                EndpointName=self.name(model, stage, "endpoint_names")
            )
            items = ddb.query(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"MODEL#{model}#STAGE#{stage}"}},
            )["Items"]
            codebuild = self.client(stage, "codebuild", model)
            builds: list[str] = []  # only stages with an approval have a rollback build (prod)
            with contextlib.suppress(codebuild.exceptions.ResourceNotFoundException):
                builds = codebuild.list_builds_for_project(projectName=self.rollback_project(model, stage))["ids"]
            stages[stage] = {
                "endpoint": endpoint["EndpointName"],
                "endpoint_config": endpoint["EndpointConfigName"],
                "endpoint_status": endpoint["EndpointStatus"],
                "last_modified": endpoint["LastModifiedTime"].isoformat(),
                "pipeline_executions": sorted(e["pipelineExecutionId"] for e in self.executions(model, stage)),
                "rollback_builds": sorted(builds),
                "ledger_items": sorted(str(item["sk"]["S"]) for item in items),
            }
        return stages

    def untouched(self, model: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        for stage in STAGES:
            if before[stage] != after[stage]:
                changed = [k for k in before[stage] if before[stage][k] != after[stage][k]]
                raise DemoError(f"{model}/{stage}: another model's rejection changed {', '.join(changed)}")
            self.say(
                f"    {model} untouched in {stage}: {before[stage]['endpoint']} still on "
                f"{before[stage]['endpoint_config']}, {len(before[stage]['ledger_items'])} ledger item(s), "
                f"{len(before[stage]['pipeline_executions'])} pipeline execution(s), "
                f"{len(before[stage]['rollback_builds'])} rollback build(s): all as before"
            )

    # -- 8. status ------------------------------------------------------------------------------------------------

    def status(self) -> None:
        config_dir = DEMO_DIR / "config"
        shutil.rmtree(config_dir, ignore_errors=True)  # one directory of stage configs per model, nothing stale
        for model in MODELS:
            (config_dir / model).mkdir(parents=True)
            for stage in STAGES:
                blob = self.client(stage, "codecommit").get_file(
                    repositoryName=self.name(model, stage, "repository_names"), filePath=f"config/{stage}.json"
                )
                # The team's file over the platform config Terraform wrote to SSM, as the pipeline's deployer
                # reads it.
                parameter = self.client(stage, "ssm").get_parameter(
                    Name=self.name(model, stage, "platform_config_parameter_names"), WithDecryption=True
                )["Parameter"]["Value"]
                merged = deep_merge(json.loads(parameter), json.loads(blob["fileContent"]))
                (config_dir / model / f"{stage}.json").write_text(json.dumps(merged, indent=2))
        # The operator reads every account through its admin role (the configs name the pipeline's roles).
        status = (PY, "-m", "deployer", "--config-dir", str(config_dir), "status", "--read-role-name", ADMIN_ROLE)
        self.run(*status)
        out = self.run(*status, "--output", "json", quiet=True)
        fleet = json.loads(out)
        live = {(view["model"], view["stage"]): view["live_version"] for view in fleet["stages"]}
        expected = {(m, s): (2 if m == "churn" else 1) for m in MODELS for s in STAGES}
        if live != expected:
            raise DemoError(f"the fleet is not where the story left it: live {live}, expected {expected}")
        self.say("    live: " + ", ".join(f"{m} v{live[m, STAGES[0]]} in {'/'.join(STAGES)}" for m in MODELS))
        if self.status_json:
            self.status_json.parent.mkdir(parents=True, exist_ok=True)
            self.status_json.write_text(out)

    def iam_report(self) -> None:
        out = self.run(PY, "-m", "sandbox", "iam-report", "--summary")
        report = next((line for line in out.splitlines() if "IAM report: " in line), "")
        if not report.rstrip().endswith(" 0 denied"):
            raise DemoError(f"the IAM report shows denials: {report or out[-2000:]}")


def _model_tarball(model: str, version: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = json.dumps({"model": model, "training_run": version}).encode()
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
    parser.add_argument("--evidence", type=Path, help="write churn's state before and after fraud's rejection here")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "5055")),
                        help="sandbox port when it is not running yet (env SANDBOX_PORT; 5055)")  # fmt: skip
    args = parser.parse_args(argv)
    demo = Demo(args.keep, args.port, args.status_json, args.evidence)
    ok = False
    # Two demos at once would share the Terraform data dirs and the local build images: take turns.
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
    with demo.step(f"3/8 terraform apply envs/tooling (account {demo.accounts['tooling']}; models churn, fraud)"):
        demo.platform_file()
        demo.image_repositories()
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
    extra = {
        "AWS_ENDPOINT_URL": demo.env["AWS_ENDPOINT_URL"],
        "DEPLOYER_POLL_SECONDS": demo.env["DEPLOYER_POLL_SECONDS"],
    }
    for model in MODELS:
        # A build image per model: the two models' builds run at once, and each installs the deployer into it.
        image = BUILD / ("codebuild-image" if model == MODELS[0] else f"codebuild-image-{model}")
        bin_dir = ensure_build_image(image)
        for stage in STAGES:
            work = DEMO_DIR / "builds"
            demo.builders[model, stage] = LocalCodeBuild(demo.session(stage, model), bin_dir, work, extra)
            demo.skip_executions(model, stage)

    with demo.step("4/8 register sample versions 1 and 2 of churn (group ml-churn) and fraud (group ml-fraud)"):
        bucket = demo.output("tooling", "artifact_bucket_name")
        (churn1, churn2), (fraud1, fraud2) = (demo.register_model(model, bucket) for model in MODELS)

    def ship_v1(model: str, arn: str) -> Callable[[], None]:
        def lane() -> None:
            demo.set_approval(model, arn, "Approved", "offline metrics pass")
            demo.travel(model, 1, ("Approved", f"{model} v1 verified in staging; go"))

        return lane

    with demo.step("5/8 approve churn v1 and fraud v1, side by side: dev -> staging -> (plan, approval) -> prod"):
        demo.side_by_side(ship_v1("churn", churn1), ship_v1("fraud", fraud1))

    def churn_v2() -> None:
        demo.set_approval("churn", churn2, "Approved", "better offline AUC")
        if not demo.travel("churn", 2, ("Approved", "the approval names churn v2, verified in staging")):
            raise DemoError("churn v2 was refused at prod's approval")

    def fraud_v2() -> None:
        demo.set_approval("fraud", fraud2, "Approved", "better offline recall")
        if demo.travel("fraud", 2, ("Rejected", "fraud v2 flags too many good customers in staging; not in prod")):
            raise DemoError("fraud v2 went to prod although its approver said no")

    with demo.step(
        "6/8 approve churn v2 and fraud v2, side by side: churn v2 canary to dev, linear to staging, prod approved; "
        "fraud v2 to dev and staging, refused at prod's approval"
    ):
        demo.side_by_side(churn_v2, fraud_v2)

    with demo.step(
        "7/8 reject fraud v2 in the registry: fraud's dev and staging roll back to v1, its prod rollback build finds "
        "v1 live; churn untouched"
    ):
        before = demo.snapshot("churn")
        demo.set_approval("fraud", fraud2, "Rejected", "bias found in a post-release audit")
        demo.side_by_side(
            lambda: demo.run_stage("fraud", "dev"),
            lambda: demo.run_stage("fraud", "staging"),
            lambda: demo.rollback_builds("fraud", "prod"),
        )
        after = demo.snapshot("churn")
        demo.untouched("churn", before, after)
        if demo.evidence:
            demo.evidence.parent.mkdir(parents=True, exist_ok=True)
            demo.evidence.write_text(json.dumps({"churn_before": before, "churn_after": after}, indent=2))

    with demo.step("8/8 where every version of every model lives (deployer status: the fleet), and the IAM report"):
        demo.status()
        demo.say("IAM: every call above ran as its own role; the calls denied (none) and the grants nothing used:")
        demo.iam_report()
    demo.say(
        'what next: KEEP=1 make demo keeps the sandbox; then `eval "$(.venv/bin/python -m sandbox env)"` and '
        "explore with boto3 or the deployer (README: Quickstart). For real AWS: README, 'Real AWS, step by step'."
    )
    return True


if __name__ == "__main__":
    sys.exit(main())
