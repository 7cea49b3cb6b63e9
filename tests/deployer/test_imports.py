"""Cold start (issue 25): every module imports alone, and the CLI imports only what the chosen verb needs.

Each check runs in a fresh interpreter, so that what this test process has imported already does not hide an
import. No timings here: bench/cold_start.py measures them; these tests fail when a heavy import comes back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import deployer
from tests.deployer.conftest import World

SOURCE = Path(deployer.__file__).resolve().parent

# Run in a fresh interpreter: the third-party packages are imported first (only the deployer's own import order is
# under test), then each module is imported in a forked child that has no deployer module yet.
_EACH_ALONE = """
import importlib, os, sys, traceback
import boto3, botocore.client, botocore.session  # noqa: F401
assert not [m for m in sys.modules if m.split(".")[0] == "deployer"], "the parent imported the deployer"
failed = []
for name in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
        except BaseException:
            os.write(write, traceback.format_exc().encode()[-3000:])
            os._exit(1)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        error = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name + ": " + (error.strip().splitlines() or ["exit status %d" % status])[-1])
print("\\n".join(failed))
"""

# `main([...])` in a fresh interpreter; prints the modules it loaded and the AWS operations it called, as JSON.
_RUN_AND_LIST = """
import json, sys
calls = []
def record(self, operation, params, _call=None):
    calls.append(operation)
    return _original(self, operation, params)
def hook():
    global _original
    import botocore.client
    _original = botocore.client.BaseClient._make_api_call
    botocore.client.BaseClient._make_api_call = record
if sys.argv[1] == "hook":
    hook()
from deployer.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules), "calls": calls}))
"""

# Neither `import deployer.cli` nor `--help` may load these: what a verb needs is imported when it runs.
NOT_FOR_HELP = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "deployer.config",
    "deployer.sessions",
    "deployer.ledger",
    "deployer.promotion",
    "deployer.rollout",
    "deployer.smoke",
    "deployer.status",
    "deployer.seed_repo",
    "deployer.registry_marks",
)
# A plan reads the registry, the ledger and the endpoint; it runs no smoke test, promotes nothing, changes nothing.
NOT_FOR_PLAN = (
    "deployer.smoke",
    "deployer.status",
    "deployer.seed_repo",
    "deployer.registry_marks",
    "deployer.promotion.testrun",
    "deployer.promotion.promote",
    "deployer.promotion.events",
    "deployer.promotion.recorded",
    "deployer.promotion.rollback",
    "deployer.promotion.teardown",
    "deployer.promotion.serving",
)


def _modules() -> list[str]:
    names = []
    for path in sorted(SOURCE.rglob("*.py")):
        parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":  # it runs the CLI
            names.append(".".join(parts))
    return names


def _run(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def _listed(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str], list[str]]:
    """`main(args)` in a fresh interpreter: its exit code, the modules it loaded, the AWS operations it called."""
    proc = _run(_RUN_AND_LIST, *args, env=env)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(answer["code"]), set(answer["modules"]), list(answer["calls"])


def _among(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m in names or m.startswith(tuple(f"{n}." for n in names)))


def test_every_deployer_module_imports_alone() -> None:
    modules = _modules()
    assert "deployer.endpoint" in modules and "deployer.errors" in modules and len(modules) > 50
    proc = _run(_EACH_ALONE, *modules)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"modules that fail to import alone:\n{proc.stdout}"


def test_import_cli_and_help_load_no_heavy_module() -> None:
    # --version: argparse exits 0 after printing it, so that is the import of the CLI alone
    for args in (["--version"], ["--help"], ["plan", "--help"]):
        code, modules, _ = _listed("plain", *args)
        assert code == 0
        assert _among(modules, NOT_FOR_HELP) == [], f"{args}: loaded before a verb runs"


def test_plan_imports_and_calls_only_what_it_shows(world: World) -> None:
    world.add_version()
    env = {**world.sandbox.env, "CODEBUILD_BUILD_ID": "churn-dev:cold-start"}
    code, modules, calls = _listed("hook", "--config-dir", str(world.config_dir), "plan", "--stage", "dev", env=env)
    assert code == 0
    assert _among(modules, NOT_FOR_PLAN) == [], "a plan loaded these"
    # Each role is assumed once and its account read from the AssumeRole answer; who the caller is matters only
    # to a record, and a plan writes none: no GetCallerIdentity.
    assert calls.count("AssumeRole") == 2, calls
    assert "GetCallerIdentity" not in calls, calls
    assert {"ListModelPackages", "DescribeEndpoint", "Query", "GetItem"} <= set(calls), calls
