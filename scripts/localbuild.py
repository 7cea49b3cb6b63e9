"""Run a stage's CodeBuild project on this machine, the way CodeBuild would, for `make demo`.

What is faithful: the source is the stage repository at the commit the pipeline execution recorded
(CodeCommit GetFolder/GetFile); the buildspec is the project's `source.buildspec` as CodeBuild reads it
(inline YAML text, or the path of a file in the source, or `buildspec.yml` at its root when none is set);
the project's environment variables come from BatchGetProjects; the commands run in a bash shell per build
with the project's service role credentials, which CodeBuild gets as codebuild.amazonaws.com (the sandbox
decides by the role's trust policy, with aws:SourceAccount and the project as aws:SourceArn); what CodeBuild
itself does as that role is authorized by the sandbox's evaluator too: the build's log stream (logs:
CreateLogStream, PutLogEvents) and the upload of each report the buildspec declares (codebuild:
CreateReportGroup, CreateReport, BatchPutTestCases, UpdateReport on <project>-<report name>), either of
which, refused, fails the build as it would in CodeBuild.

What is simulated: the build container. Commands run in a scratch copy of the source on this machine, with
a virtual environment standing in for the CodeBuild image's Python (with the AWS CLI beside it, in a venv of
its own, as the standard image has it); `runtime-versions` is logged and ignored. Nothing here knows about the
deployer: it runs whatever the buildspec says.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml  # type: ignore[import-untyped]

PHASES = ("install", "pre_build", "build", "post_build")
CODEBUILD_SERVICE = "codebuild.amazonaws.com"
SERVICE_ASSUME_PATH = "/_sandbox/sts/assume-role-as-service"  # credentials as a service gets them
BUILD_RESULT_PATH = "/_sandbox/codebuild/build-result"  # how a started build ended, as CodeBuild records it
BUILD_RESULT_PATH = "/_sandbox/codebuild/build-result"  # how a started build ended, as CodeBuild records it
AUTHORIZE_PATH = "/_sandbox/iam/authorize"  # permission-only checks of what a service does as the role
REPORT_ACTIONS = ("codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:BatchPutTestCases",
                  "codebuild:UpdateReport")  # fmt: skip
BUILDSPEC_VERSIONS = (0.1, 0.2)
DEFAULT_BUILDSPEC = "buildspec.yml"


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
    exported: dict[str, str] = field(default_factory=dict)  # env.exported-variables, as CodePipeline gets them


def ensure_build_image(venv: Path, python: str = sys.executable) -> Path:
    """The stand-in for the CodeBuild image (idempotent); returns its bin dir. The build's python and pip are a
    venv of their own, and the AWS CLI lives in another (venv/awscli) linked into its bin, as the image's CLI v2
    is a standalone install: what a buildspec pip-installs (the deployer's locked boto3) never changes the CLI."""
    bin_dir = venv / "bin"
    cli = venv / "awscli"
    if not (bin_dir / "aws").is_symlink() or not (cli / "bin" / "aws").exists():
        print(f"    preparing the local build image {venv} (python + AWS CLI; once)", flush=True)
        shutil.rmtree(venv, ignore_errors=True)  # an image of the older layout (CLI inside the build's venv)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        subprocess.run([python, "-m", "venv", str(cli)], check=True)
        subprocess.run(
            [str(cli / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "awscli"],
            check=True,
        )
        (bin_dir / "aws").symlink_to(cli / "bin" / "aws")
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


def load_buildspec(declared: str | None, src: Path, label: str) -> tuple[dict[str, Any], str]:
    """The buildspec CodeBuild runs for a project whose `source.buildspec` is `declared`, and where it came from.

    As CodeBuild reads it: a value that is a YAML mapping is the buildspec itself (inline, from the project; a
    buildspec.yml in the source is then ignored); any other value is a path relative to the source directory
    (CODEBUILD_SRC_DIR); no value means buildspec.yml at the source root. A buildspec in S3 is not supported here.
    """
    text = (declared or "").strip()
    if text:
        try:
            inline = yaml.safe_load(text)
        except yaml.YAMLError:
            inline = None
        if isinstance(inline, dict):
            return _checked(inline, label, "the inline buildspec"), "inline buildspec (from the project)"
        if text.startswith(("arn:", "s3://")):
            raise BuildFailed(f"{label}: a buildspec in S3 ({text}) is not supported locally", 2)
    path = text or DEFAULT_BUILDSPEC
    file = (src / path).resolve()
    if not file.is_relative_to(src.resolve()) or not file.is_file():
        raise BuildFailed(f"{label}: buildspec {path} is not in the source", 2)
    try:
        spec = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise BuildFailed(f"{label}: buildspec {path} is not valid YAML: {exc}", 2) from exc
    return _checked(spec, label, f"buildspec {path}"), path


def _checked(spec: Any, label: str, where: str) -> dict[str, Any]:
    """CodeBuild refuses a buildspec that is not a mapping with a supported `version` (YAML_FILE_ERROR)."""
    if not isinstance(spec, dict):
        raise BuildFailed(f"{label}: {where} is not a YAML mapping", 2)
    if spec.get("version") not in BUILDSPEC_VERSIONS:
        allowed = ", ".join(str(v) for v in BUILDSPEC_VERSIONS)
        raise BuildFailed(f"{label}: {where}: version {spec.get('version')!r} (allowed: {allowed})", 2)
    return spec


def _script(phases: dict[str, Any], exported: list[str]) -> str:
    """One bash script for the build: phases in order, each command announced, the first failure stops it;
    at the end, the exported variables' values (NUL-separated) go to $LOCALBUILD_EXPORTS."""
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
    lines.extend(f'printf "%s\\0%s\\0" {name} "${{{name}-}}" >> "$LOCALBUILD_EXPORTS"' for name in exported)
    return "\n".join(lines) + "\n"


class LocalCodeBuild:
    """Runs CodeBuild projects of one stage account locally."""

    def __init__(self, operator: boto3.Session, bin_dir: Path, work_root: Path, extra_env: dict[str, str]) -> None:
        self.operator = operator  # the stage account's admin session: reads the project, repo and role
        self.bin_dir = bin_dir
        self.work_root = work_root
        self.extra_env = extra_env  # endpoint URL and poll interval: what differs on this machine
        self.initiator = "localbuild"  # CODEBUILD_INITIATOR: who started the build

    def _endpoint(self) -> str:
        url = self.extra_env.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL", "")
        if not url:
            raise BuildFailed("local builds run against the sandbox: set AWS_ENDPOINT_URL", 2)
        return url.rstrip("/")

    def _sandbox_post(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            self._endpoint() + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status), dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as exc:
            return int(exc.code), dict(json.loads(exc.read() or b"{}"))

    def _role_credentials(self, project: dict[str, Any], build_id: str, label: str) -> dict[str, str]:
        """The service role's credentials as CodeBuild gets them: assumed by codebuild.amazonaws.com for this
        project (the trust policy decides, with aws:SourceAccount and aws:SourceArn = the project)."""
        role_arn = str(project["serviceRole"])
        status, answer = self._sandbox_post(
            SERVICE_ASSUME_PATH,
            {
                "service": CODEBUILD_SERVICE,
                "role_arn": role_arn,
                "source_arn": str(project.get("arn", "")),
                "region": self.operator.region_name or "us-east-1",
                "session_name": build_id.replace(":", "-")[:64],
            },
        )
        if status != 200:
            raise BuildFailed(f"{label}: CodeBuild could not assume {role_arn}: {answer.get('error', status)}", 5)
        creds = answer["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        }

    def _authorize(self, creds: dict[str, str], calls: list[tuple[str, str]], label: str, what: str) -> None:
        """What CodeBuild does as the build's role without a public API: refused, the build fails."""
        status, answer = self._sandbox_post(
            AUTHORIZE_PATH,
            {
                "access_key": creds["AWS_ACCESS_KEY_ID"],
                "region": self.operator.region_name or "us-east-1",
                "operation": f"CodeBuild {what}",
                "calls": [{"action": action, "resource": resource} for action, resource in calls],
            },
        )
        if status != 200:
            raise BuildFailed(f"{label}: {what}: the sandbox refused the check: {answer}", 5)
        refused = [d for d in answer.get("decisions", []) if not d.get("allowed")]
        if refused:
            raise BuildFailed(f"{label}: {what}: {refused[0].get('message') or refused[0]['action']}", 5)

    def run(
        self,
        project_name: str,
        repository: str | None,
        commit: str,
        *,
        label: str,
        action_env: dict[str, str] | None = None,
        started_build: str | None = None,
    ) -> BuildResult:
        """`action_env`: the pipeline action's EnvironmentVariables (resolved), which override the project's.
        `repository` None: a NO_SOURCE project. `started_build`: the id of a build started with StartBuild, whose
        end this runner reports to the sandbox, as CodeBuild would record it."""
        try:
            result = self._run(project_name, repository, commit, label, action_env, started_build)
        except BuildFailed:
            if started_build:
                self._sandbox_post(BUILD_RESULT_PATH, {"build_id": started_build, "status": "FAILED"})
            raise
        if started_build:
            self._sandbox_post(BUILD_RESULT_PATH, {"build_id": started_build, "status": "SUCCEEDED"})
        return result

    def _run(
        self,
        project_name: str,
        repository: str | None,
        commit: str,
        label: str,
        action_env: dict[str, str] | None,
        started_build: str | None,
    ) -> BuildResult:
        started = time.monotonic()
        project = self.operator.client("codebuild").batch_get_projects(names=[project_name])["projects"][0]
        build_id = started_build or f"{project_name}:{uuid.uuid4()}"
        src = self.work_root / build_id.replace(":", "-")
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        files = (
            0
            if repository is None
            else download_repository(self.operator.client("codecommit"), repository, commit, src)
        )
        spec, origin = load_buildspec(project.get("source", {}).get("buildspec"), src, label)
        where = "no source" if repository is None else f"{files} file(s) of {repository}@{commit[:8]}"
        print(
            f"    [{label}] build {build_id}: {where}, {origin}, role {project['serviceRole'].rsplit('/', 1)[-1]}",
            flush=True,
        )

        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEPLOYER_", "STAGE"))}
        for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):  # this machine's Python setup, not the image's
            env.pop(name, None)
        env.update({str(k): str(v) for k, v in ((spec.get("env") or {}).get("variables") or {}).items()})
        for variable in project["environment"].get("environmentVariables", []):
            env[variable["name"]] = variable["value"]
        env.update(action_env or {})
        exported = [str(n) for n in (spec.get("env") or {}).get("exported-variables") or []]
        exports_file = src.parent / f"{src.name}.exports"
        region = self.operator.region_name or "us-east-1"
        creds = self._role_credentials(project, build_id, label)
        project_arn = str(project.get("arn", ""))
        arn_prefix = project_arn.split(":project/", 1)[0]  # arn:<partition>:codebuild:<region>:<account>
        log_group = ((project.get("logsConfig") or {}).get("cloudWatchLogs") or {}).get("groupName") or (
            f"/aws/codebuild/{project_name}"
        )
        log_group_arn = arn_prefix.replace(":codebuild:", ":logs:", 1) + f":log-group:{log_group}"
        stream = build_id.split(":", 1)[1]
        self._authorize(
            creds,
            [("logs:CreateLogStream", log_group_arn), ("logs:PutLogEvents", f"{log_group_arn}:log-stream:{stream}")],
            label,
            f"build logs to {log_group}",
        )
        env.update(
            {
                "PATH": f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "CODEBUILD_BUILD_ID": build_id,
                "CODEBUILD_SRC_DIR": str(src),
                "CODEBUILD_RESOLVED_SOURCE_VERSION": commit,
                "CODEBUILD_INITIATOR": self.initiator,
                "LOCALBUILD_EXPORTS": str(exports_file),
                **self.extra_env,
                **creds,
            }
        )
        proc = subprocess.Popen(
            ["bash", "-c", _script(spec.get("phases") or {}, exported)],
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
            paths = [p for pattern in report.get("files") or [] for p in sorted(base.glob(str(pattern)))]
            if not paths:
                continue
            # CodeBuild uploads the report (whatever the build's outcome) into <project>-<report name>.
            group_arn = f"{arn_prefix}:report-group/{project_name}-{name}"
            self._authorize(creds, [(a, group_arn) for a in REPORT_ACTIONS], label, f"report {name} upload")
            for path in paths:
                result.reports[name] = _junit_summary(path)
                print(f"    [{label}] report {name}: {result.reports[name]} ({path.name})", flush=True)
        if code != 0:
            raise BuildFailed(f"{label}: build {build_id} failed with exit code {code}", code)
        if exported:
            fields = exports_file.read_text().split("\0") if exports_file.exists() else []
            result.exported = dict(zip(fields[0::2], fields[1::2], strict=False))
            print(f"    [{label}] exported {', '.join(f'{k}={v}' for k, v in result.exported.items())}", flush=True)
        print(f"    [{label}] build succeeded in {result.seconds:.1f}s", flush=True)
        return result


def _junit_summary(path: Path) -> str:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    return f"{tests - failures}/{tests} passed"
