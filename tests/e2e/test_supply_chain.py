"""The deployer's supply chain (docs/supply-chain.md): the lock pins exactly what pyproject.toml allows, and the
platform buildspecs' install step (modules/stage/install-deployer.sh, which the unit tests prove is what every
platform buildspec runs) installs the hash-checked wheel and lock, through localbuild, as CodeBuild would.

The dependency wheels come from the wheelhouse under .build/ (downloaded from PyPI once); the builds then run
offline (bundled mode), each in a fresh stand-in for the CodeBuild image.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from tests.conftest import ACCOUNTS, REGION, REPO, Sandbox

sys.path.insert(0, str(REPO / "scripts"))
from deployer_dist import LOCK, LOCK_NAME, WHEELHOUSE, build_wheel, ensure_wheelhouse, sha256
from localbuild import BuildFailed, LocalCodeBuild, ensure_build_image

INSTALL_STEP = REPO / "modules" / "stage" / "install-deployer.sh"
PYPROJECT = REPO / "python" / "deployer" / "pyproject.toml"
ENTRY = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.M
)
# CodeBuild's Python 3.11 on Linux, for the markers of Requires-Dist.
MARKER_ENV = {"python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux",
              "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
              "platform_python_implementation": "CPython", "extra": ""}  # fmt: skip


@dataclass
class Pin:
    version: Version
    hashes: set[str]
    via: set[str]


def _lock() -> dict[str, Pin]:
    text = LOCK.read_text()
    pins: dict[str, Pin] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 3)[3] if text.startswith("#") else text):
        match = ENTRY.match(block)
        assert match, f"{LOCK.name}: not an exact pin followed by --hash=sha256: lines:\n{block}"
        name = canonicalize_name(match["name"])
        assert name not in pins, f"{LOCK.name}: {name} pinned twice"
        via = re.search(r"# via (.+)$", block, re.M)
        pins[name] = Pin(Version(match["version"]), set(re.findall(r"sha256:([0-9a-f]{64})", block)),
                         {v.strip() for v in via[1].split(",")} if via else set())  # fmt: skip
    return pins


def _declared() -> list[Requirement]:
    return [Requirement(r) for r in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]]


def _requires(wheel: Path) -> list[Requirement]:
    """Requires-Dist of a wheel that apply on CodeBuild's Python."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        headers = HeaderParser().parsestr(archive.read(meta).decode())
    reqs = [Requirement(text) for text in headers.get_all("Requires-Dist") or []]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(MARKER_ENV)]


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    return Path(ensure_wheelhouse(WHEELHOUSE))


def test_the_lock_pins_every_declared_dependency_within_its_range() -> None:
    pins = _lock()
    for req in _declared():
        pin = pins.get(canonicalize_name(req.name))
        assert pin is not None, f"{req} (pyproject.toml) is not in {LOCK.name}"
        assert req.specifier.contains(pin.version), f"{LOCK.name} pins {req.name}=={pin.version}, outside {req}"
        assert "pyproject.toml" in pin.via
    assert {"boto3", "botocore", "jmespath", "s3transfer", "python-dateutil", "six", "urllib3"} <= set(pins)


def test_the_lock_is_closed_and_every_file_of_it_is_hashed(wheelhouse: Path) -> None:
    """Each locked wheel's own requirements are locked at a version they accept, nothing else is locked, and
    every file pip may pick (the wheelhouse for linux x86_64 and aarch64) has its sha256 in the lock."""
    pins = _lock()
    files = {parse_wheel_filename(w.name)[0]: w for w in wheelhouse.glob("*.whl")}
    assert set(files) == set(pins), f"wheelhouse {sorted(files)} vs lock {sorted(pins)}"
    needed = {canonicalize_name(r.name) for r in _declared()}
    for name, wheel in files.items():
        assert parse_wheel_filename(wheel.name)[1] == pins[name].version
        assert sha256(wheel) in pins[name].hashes, f"{wheel.name}: its sha256 is not in {LOCK.name}"
        for req in _requires(wheel):
            dep = canonicalize_name(req.name)
            assert dep in pins, f"{name} requires {req}, which {LOCK.name} does not pin"
            assert req.specifier.contains(pins[dep].version, prereleases=True), f"{name} requires {req}"
            needed.add(dep)
    assert needed == set(pins), f"{LOCK.name} pins what nothing requires: {sorted(set(pins) - needed)}"


def test_the_lock_is_what_the_stage_module_fixture_and_make_wheel_ship() -> None:
    fixture = REPO / "modules" / "stage" / "tests" / "fixtures" / "dist" / LOCK_NAME
    assert fixture.read_text() == LOCK.read_text(), "copy python/deployer/requirements.lock to the unit tests' fixture"


def test_the_seeded_test_buildspec_installs_the_deployer_with_the_same_step() -> None:
    spec = yaml.safe_load((REPO / "seed" / "buildspecs" / "test.yml").read_text())
    assert spec["phases"]["install"]["commands"] == [INSTALL_STEP.read_text().strip()]


# -- the install step, run by localbuild ---------------------------------------------------------------------------


@dataclass
class Uploaded:
    wheel: Path
    env: dict[str, str]  # the project's DEPLOYER_* variables, as the stage module sets them


@pytest.fixture(scope="module")
def image_cli() -> Path:
    """The AWS CLI of the local CodeBuild image (built once under .build/)."""
    bin_dir: Path = ensure_build_image(REPO / ".build" / "codebuild-image")
    return (bin_dir / "aws").resolve()


@pytest.fixture
def fresh_image(tmp_path: Path, image_cli: Path) -> Path:
    """A fresh container: a new venv (nothing installed) with the image's AWS CLI. Returns its bin dir."""
    venv = tmp_path / "image"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (venv / "bin" / "aws").symlink_to(image_cli)
    return venv / "bin"


@pytest.fixture(scope="module")
def uploaded(sandbox: Sandbox, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Uploaded:
    """The wheel (built as `make wheel` does), its lock and the wheelhouse in a dev bucket, keyed as the module does."""
    wheel = build_wheel(tmp_path_factory.mktemp("dist"))
    lock = wheel.parent / LOCK_NAME
    s3: Any = sandbox.client("s3", "dev")
    bucket = f"supply-chain-{ACCOUNTS['dev']}"
    s3.create_bucket(Bucket=bucket)
    dist, version = wheel.name.split("-")[:2]
    wheel_key = f"deployer/{dist}-{version}/sha256-{sha256(wheel)}/{wheel.name}"
    lock_key = f"deployer/requirements/sha256-{sha256(lock)}/requirements.lock"
    house = f"deployer/wheelhouse/sha256-{sha256(lock)}/"
    s3.upload_file(str(wheel), bucket, wheel_key)
    s3.upload_file(str(lock), bucket, lock_key)
    for file in wheelhouse.glob("*.whl"):
        s3.upload_file(str(file), bucket, house + file.name)
    return Uploaded(wheel, {
        "DEPLOYER_WHEEL_S3_URI": f"s3://{bucket}/{wheel_key}", "DEPLOYER_WHEEL_SHA256": sha256(wheel),
        "DEPLOYER_LOCK_S3_URI": f"s3://{bucket}/{lock_key}", "DEPLOYER_LOCK_SHA256": sha256(lock),
        "DEPLOYER_WHEELHOUSE_S3_URI": f"s3://{bucket}/{house}",
    })  # fmt: skip


@pytest.fixture(scope="module")
def project(sandbox: Sandbox, uploaded: Uploaded) -> Iterator[str]:
    """A dev CodeBuild project whose buildspec runs the install step, as a role that may read the bucket."""
    bucket = uploaded.env["DEPLOYER_WHEEL_S3_URI"].removeprefix("s3://").split("/", 1)[0]
    iam: Any = sandbox.client("iam", "dev")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "codebuild.amazonaws.com"}}]}  # fmt: skip
    role = iam.create_role(RoleName="supply-chain-build", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    logs = f"arn:aws:logs:{REGION}:{ACCOUNTS['dev']}:log-group:/aws/codebuild/supply-chain"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [logs, f"{logs}:*"]},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/deployer/*"]},
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}"],
         "Condition": {"StringLike": {"s3:prefix": ["deployer/wheelhouse/*"]}}},
    ]}  # fmt: skip
    iam.put_role_policy(RoleName="supply-chain-build", PolicyName="read", PolicyDocument=json.dumps(policy))
    buildspec = {
        "version": 0.2,
        "env": {"shell": "bash"},
        "phases": {
            "install": {"commands": [INSTALL_STEP.read_text().strip()]},
            "build": {"commands": ["deployer --help > /dev/null"]},
        },
    }
    codebuild: Any = sandbox.client("codebuild", "dev")
    codebuild.create_project(
        name="supply-chain",
        source={"type": "CODECOMMIT", "location": "supply-chain", "buildspec": yaml.safe_dump(buildspec)},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL",
                     "environmentVariables": [{"name": k, "value": v} for k, v in uploaded.env.items()]},
        serviceRole=role,
    )  # fmt: skip
    yield "supply-chain"


@pytest.fixture(scope="module")
def commit(sandbox: Sandbox) -> str:
    codecommit: Any = sandbox.client("codecommit", "dev")
    codecommit.create_repository(repositoryName="supply-chain")
    put = codecommit.put_file(repositoryName="supply-chain", branchName="main", fileContent=b"data only\n",
                              filePath="README.md", commitMessage="seed")  # fmt: skip
    return str(put["commitId"])


@dataclass
class Build:
    out: str  # the build's log, as localbuild prints it
    error: BuildFailed | None


@pytest.fixture
def build(
    sandbox_env: Sandbox,
    project: str,
    commit: str,
    fresh_image: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Build]:
    """Runs the project in the fresh image; keyword arguments override its variables (the action's)."""
    sandbox = sandbox_env  # the operator's clients (localbuild's) find the sandbox through AWS_ENDPOINT_URL

    def run(**action_env: str) -> Build:
        builder = LocalCodeBuild(
            sandbox.session("dev"), fresh_image, tmp_path / "builds", {"AWS_ENDPOINT_URL": sandbox.url}
        )
        error = None
        try:
            builder.run(project, "supply-chain", commit, label="dev/install", action_env=action_env)
        except BuildFailed as exc:
            error = exc
        return Build(capsys.readouterr().out, error)

    return run


def _installed(fresh_image: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}  # the image's view
    proc = subprocess.run([str(fresh_image / "pip"), "list", "--format", "json"], capture_output=True, text=True,
                          check=True, env=env)  # fmt: skip
    return {canonicalize_name(p["name"]): p["version"] for p in json.loads(proc.stdout)}


def test_the_install_step_installs_exactly_the_locked_build_offline(
    build: Callable[..., Build], fresh_image: Path, uploaded: Uploaded
) -> None:
    result = build()
    assert result.error is None, result.out
    assert f"deployer install: {uploaded.wheel.name} (sha256 {uploaded.env['DEPLOYER_WHEEL_SHA256']})" in result.out
    installed = _installed(fresh_image)
    assert {name: installed.get(name) for name in _lock()} == {name: str(pin.version) for name, pin in _lock().items()}
    assert installed.get("mlops-deployer") == uploaded.wheel.name.split("-")[1]


@pytest.mark.parametrize(
    ("variable", "what", "uri"),
    [
        ("DEPLOYER_WHEEL_SHA256", "the deployer wheel", "DEPLOYER_WHEEL_S3_URI"),
        ("DEPLOYER_LOCK_SHA256", "the lock file", "DEPLOYER_LOCK_S3_URI"),
    ],
)
def test_a_hash_mismatch_fails_the_build_naming_the_object_and_both_hashes_before_installing_anything(
    build: Callable[..., Build], fresh_image: Path, uploaded: Uploaded, variable: str, what: str, uri: str
) -> None:
    expected = "0" * 64
    result = build(**{variable: expected})
    assert result.error is not None and result.error.exit_code == 1, result.out
    assert (
        f"deployer install: {what} {uploaded.env[uri]} has sha256 {uploaded.env[variable]} "
        f"but {variable} expects {expected}: refusing to install it"
    ) in result.out, result.out
    assert "[Container] Phase INSTALL failed" in result.out
    installed = _installed(fresh_image)
    assert "mlops-deployer" not in installed and "boto3" not in installed, installed


def test_a_wheelhouse_file_that_is_not_the_locked_one_fails_the_build(
    build: Callable[..., Build], fresh_image: Path, sandbox: Sandbox, uploaded: Uploaded, wheelhouse: Path
) -> None:
    """pip's --require-hashes: a substituted dependency (same name, other bytes) is refused, nothing installed."""
    bucket, prefix = uploaded.env["DEPLOYER_WHEELHOUSE_S3_URI"].removeprefix("s3://").split("/", 1)
    tampered = prefix.replace("deployer/wheelhouse/", "deployer/wheelhouse/tampered-")
    s3: Any = sandbox.client("s3", "dev")
    for file in wheelhouse.glob("*.whl"):
        body = file.read_bytes()
        if file.name.startswith("six-"):
            body = next(wheelhouse.glob("jmespath-*.whl")).read_bytes()  # a valid wheel, not the locked six
        s3.put_object(Bucket=bucket, Key=tampered + file.name, Body=body)
    result = build(DEPLOYER_WHEELHOUSE_S3_URI=f"s3://{bucket}/{tampered}")
    assert result.error is not None, result.out
    assert "DO NOT MATCH THE HASHES" in result.out, result.out
    assert "mlops-deployer" not in _installed(fresh_image)
