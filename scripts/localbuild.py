"""Run a stage's CodeBuild project on this machine, the way CodeBuild would, for `make demo`.

What is faithful: the buildspec is read from the stage repository at the commit the pipeline execution
recorded (CodeCommit GetFolder/GetFile), the project's environment variables come from BatchGetProjects,
the commands run in a bash shell per build with the project's service role credentials (assumed with STS,
in the stage account), and `reports` are read from the files the buildspec names.

What is simulated: the build container. Commands run in a scratch copy of the source on this machine, with
a virtual environment standing in for the CodeBuild image's Python (it holds the AWS CLI, as the standard
image does); `runtime-versions` is logged and ignored. Nothing here knows about the deployer: it runs
whatever the buildspec says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml  # type: ignore[import-untyped]

PHASES = ("install", "pre_build", "build", "post_build")


class BuildFailed(RuntimeError):
    """A build command exited non-zero; `exit_code` is its code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class BuildResult:
    project: str
    build_id: str
    seconds: float
    reports: dict[str, str] = field(default_factory=dict)


def ensure_build_image(venv: Path, python: str = sys.executable) -> Path:
    """The stand-in for the CodeBuild image: a venv with the AWS CLI (idempotent). Returns its bin dir."""
    bin_dir = venv / "bin"
    if not (bin_dir / "aws").exists():
        print(f"    preparing the local build image {venv} (python + AWS CLI; once)", flush=True)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check", "awscli"],
            check=True,
        )
    # Every demo run installs the freshly built deployer wheel, as a fresh CodeBuild container would.
    subprocess.run(
        [str(bin_dir / "pip"), "uninstall", "-q", "-y", "mlops-deployer"],
        check=False,
        capture_output=True,
    )
    return bin_dir


def download_repository(codecommit: Any, repository: str, commit: str, dest: Path) -> int:
    """Write every file of `repository` at `commit` under `dest` (the source artifact). Returns the file count."""
    count = 0
    pending = ["/"]
    while pending:
        folder = pending.pop()
        listing = codecommit.get_folder(repositoryName=repository, commitSpecifier=commit, folderPath=folder)
        for sub in listing.get("subFolders", []):
            pending.append(sub["absolutePath"])
        for item in listing.get("files", []):
            path = item["absolutePath"]
            blob = codecommit.get_file(repositoryName=repository, commitSpecifier=commit, filePath=path)
            target = dest / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob["fileContent"])
            count += 1
    return count


def _script(phases: dict[str, Any]) -> str:
    """One bash script for the build: phases in order, each command announced, the first failure stops it."""
    lines = ["set -o pipefail"]
    for phase in PHASES:
        spec = phases.get(phase) or {}
        if "runtime-versions" in spec:
            lines.append(f"echo '[Container] {phase}: runtime-versions {spec['runtime-versions']} (ignored locally)'")
        commands = spec.get("commands") or []
        if not commands:
            continue
        lines.append(f"echo '[Container] Entering phase {phase.upper()}'")
        for command in commands:
            quoted = str(command).replace("'", "'\"'\"'")
            lines.append(f"echo '[Container] Running command {quoted}'")
            failed = f"echo '[Container] Phase {phase.upper()} failed'"
            lines.append(f"{command}\nrc=$?; if [ $rc -ne 0 ]; then {failed}; exit $rc; fi")
    return "\n".join(lines) + "\n"


class LocalCodeBuild:
    """Runs CodeBuild projects of one stage account locally."""

    def __init__(self, operator: boto3.Session, bin_dir: Path, work_root: Path, extra_env: dict[str, str]) -> None:
        self.operator = operator  # the stage account's admin session: reads the project, repo and role
        self.bin_dir = bin_dir
        self.work_root = work_root
        self.extra_env = extra_env  # endpoint URL and poll interval: what differs on this machine

    def _role_credentials(self, role_arn: str, build_id: str) -> dict[str, str]:
        sts = self.operator.client("sts")
        name = build_id.replace(":", "-")[:64]
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        }

    def run(self, project_name: str, repository: str, commit: str, *, label: str) -> BuildResult:
        started = time.monotonic()
        project = self.operator.client("codebuild").batch_get_projects(names=[project_name])["projects"][0]
        build_id = f"{project_name}:{uuid.uuid4()}"
        src = self.work_root / build_id.replace(":", "-")
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        files = download_repository(self.operator.client("codecommit"), repository, commit, src)
        buildspec_path = src / project["source"]["buildspec"]
        if not buildspec_path.is_file():
            raise BuildFailed(f"{label}: buildspec {project['source']['buildspec']} is not in {repository}", 2)
        spec = yaml.safe_load(buildspec_path.read_text())
        print(
            f"    [{label}] build {build_id}: {files} file(s) of {repository}@{commit[:8]}, "
            f"buildspec {project['source']['buildspec']}, role {project['serviceRole'].rsplit('/', 1)[-1]}",
            flush=True,
        )

        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEPLOYER_", "STAGE"))}
        env.pop("VIRTUAL_ENV", None)
        env.update({str(k): str(v) for k, v in ((spec.get("env") or {}).get("variables") or {}).items()})
        for variable in project["environment"].get("environmentVariables", []):
            env[variable["name"]] = variable["value"]
        region = self.operator.region_name or "us-east-1"
        env.update(
            {
                "PATH": f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "CODEBUILD_BUILD_ID": build_id,
                "CODEBUILD_SRC_DIR": str(src),
                "CODEBUILD_RESOLVED_SOURCE_VERSION": commit,
                **self.extra_env,
                **self._role_credentials(project["serviceRole"], build_id),
            }
        )
        proc = subprocess.Popen(
            ["bash", "-c", _script(spec.get("phases") or {})],
            cwd=src,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            print(f"    [{label}] {line.rstrip()}", flush=True)
        code = proc.wait()
        result = BuildResult(project_name, build_id, time.monotonic() - started)
        for name, report in (spec.get("reports") or {}).items():
            base = src / str(report.get("base-directory", "."))
            for pattern in report.get("files") or []:
                for path in sorted(base.glob(str(pattern))):
                    result.reports[name] = _junit_summary(path)
                    print(f"    [{label}] report {name}: {result.reports[name]} ({path.name})", flush=True)
        if code != 0:
            raise BuildFailed(f"{label}: build {build_id} failed with exit code {code}", code)
        print(f"    [{label}] build succeeded in {result.seconds:.1f}s", flush=True)
        return result


def _junit_summary(path: Path) -> str:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    return f"{tests - failures}/{tests} passed"
