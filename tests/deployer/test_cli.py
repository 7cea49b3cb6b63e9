"""The CLI as CodeBuild runs it: a subprocess with the sandbox environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deployer.cli import main
from deployer.cli_parser import build_parser, resolve_globals
from tests.deployer.conftest import DEV, World

DEPLOYER_SCRIPT = Path(sys.executable).parent / "deployer"


def run(world: World, *args: str, script: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **world.sandbox.env, "CODEBUILD_BUILD_ID": "churn-dev:5e1f-build"}
    command = [str(DEPLOYER_SCRIPT)] if script else [sys.executable, "-m", "deployer"]
    return subprocess.run(
        [*command, "--config-dir", str(world.config_dir), *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_deploy_dev_then_already_live_then_status_json(world: World) -> None:
    version, arn = world.add_version()

    plan = run(world, "plan", "--stage", "dev")
    assert plan.returncode == 0, plan.stderr
    assert f"candidate: v{version} {arn}" in plan.stdout
    assert "action: create (no endpoint yet)" in plan.stdout

    first = run(world, "deploy", "--stage", "dev", script=True)
    assert first.returncode == 0, first.stderr
    assert f"v{version} is live on {world.endpoint}" in first.stdout
    assert "Creating elapsed=" in first.stderr and "InService elapsed=" in first.stderr
    assert "Traceback" not in first.stderr

    second = run(world, "deploy", "--stage", "dev")
    assert second.returncode == 0, second.stderr
    assert f"already live: v{version} on {world.endpoint}" in second.stdout

    status = run(world, "status", "--output", "json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    (stage,) = report["stages"]
    assert stage["stage"] == "dev" and stage["account"] == DEV
    assert (stage["endpoint"], stage["status"], stage["live_version"]) == (world.endpoint, "InService", version)
    assert stage["model_package_arn"] == arn
    assert stage["endpoint_config"] == world.describe()["EndpointConfigName"]

    text = run(world, "status", "--stage", "dev")
    heading, line = text.stdout.splitlines()[:2]
    assert heading == f"model {world.model} (platform mlops, registry {world.group_arn}):"
    assert line.startswith(f"dev: endpoint={world.endpoint} status=InService live=v{version} config=")


def test_env_fallbacks_and_json_errors(world: World) -> None:
    env_run = subprocess.run(
        [sys.executable, "-m", "deployer", "plan"],
        env={
            **os.environ,
            **world.sandbox.env,
            "STAGE": "dev",
            "DEPLOYER_CONFIG_DIR": str(world.config_dir),
            "DEPLOYER_OUTPUT": "json",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert env_run.returncode == 3
    assert json.loads(env_run.stdout)["exit_code"] == 3
    bad = run(world, "deploy")
    assert bad.returncode == 2 and "--stage: required" in bad.stderr


def test_codebuild_flow_deploy_test_promote_with_env_fallbacks(world: World) -> None:
    """The buildspecs' commands, as CodeBuild runs them: STAGE and DEPLOYER_CONFIG_DIR from the environment."""
    staging = world.add_stage("staging")
    version, _ = world.add_version()
    env = {
        **os.environ,
        **world.sandbox.env,
        "STAGE": "dev",
        "DEPLOYER_CONFIG_DIR": str(world.config_dir),
        "CODEBUILD_BUILD_ID": "churn-dev:7a1f-build",
    }

    def deployer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DEPLOYER_SCRIPT), *args], env=env, cwd=world.root, capture_output=True, text=True, timeout=300
        )

    assert deployer("deploy").returncode == 0
    tested = deployer("test", "--junit-xml", "reports/smoke.xml")
    assert tested.returncode == 0, tested.stderr
    assert (world.root / "reports" / "smoke.xml").is_file()
    assert (world.root / "dev-config-export.json").is_file()
    promoted = deployer("promote")
    assert promoted.returncode == 0, promoted.stderr
    assert f"verified: v{version} in dev (recorded at " in promoted.stdout
    assert "promoted: event " in promoted.stdout and staging.bus_arn in promoted.stdout
    (event,) = staging.received()
    assert event["detail"]["build_id"] == "churn-dev:7a1f-build"

    help_text = deployer("--help").stdout
    for verb in ("plan", "deploy", "test", "promote", "rollback", "status", "ledger-migrate", "seed-repo"):
        assert verb in help_text
    assert "6  the endpoint is locked by another rollout" in help_text


def test_status_reads_the_ledger_when_an_endpoint_is_out_of_reach(world: World) -> None:
    """The operator's view (tooling credentials, configs as Terraform renders them: target.role_arn empty)."""
    version, _ = world.add_version()
    assert run(world, "deploy", "--stage", "dev").returncode == 0
    world.write_config(target={"role_arn": ""})

    status = run(world, "--output", "json", "status")

    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    (stage,) = report["stages"]
    assert (stage["live_version"], stage["live_source"]) == (version, "ledger")
    assert stage["errors"][0].startswith(f"endpoint: {world.config_dir / 'dev.json'}: target.account_id: {DEV}")
    assert report["versions"][0]["stages"]["dev"]["live"] is True
    assert f"WARNING {world.model}/dev: endpoint: " in status.stderr
    text = run(world, "status")
    assert f"dev: endpoint={world.endpoint} status=unknown live=v{version} (from the ledger)" in text.stdout
    # the operator's read role (OrganizationAccountAccessRole on AWS) reaches every account instead
    env_status = subprocess.run(
        [sys.executable, "-m", "deployer", "--config-dir", str(world.config_dir), "--output", "json", "status"],
        env={**os.environ, **world.sandbox.env, "DEPLOYER_READ_ROLE_NAME": "OrganizationAccountAccessRole"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert env_status.returncode == 0, env_status.stderr
    (stage,) = json.loads(env_status.stdout)["stages"]
    assert (stage["live_version"], stage["live_source"], stage["status"], stage["errors"]) == (
        version,
        "endpoint",
        "InService",
        [],
    )
    assert stage["endpoint_config"] == world.describe()["EndpointConfigName"]
    assert run(world, "status", "--read-role-name", "no/slash").returncode == 2


SECONDS_FROM_0 = "(allowed: seconds, a finite number >= 0)"
SECONDS_ABOVE_0 = "(allowed: seconds, a finite number > 0)"
# (environment, verb and flags, what the error names and says, the allowed part)
BAD_INPUT = [
    (
        {"DEPLOYER_LOCK_WAIT_SECONDS": "nan"},
        ("deploy",),
        "DEPLOYER_LOCK_WAIT_SECONDS: 'nan' is not a finite",
        SECONDS_FROM_0,
    ),
    (
        {"DEPLOYER_LOCK_WAIT_SECONDS": "inf"},
        ("rollback",),
        "DEPLOYER_LOCK_WAIT_SECONDS: 'inf' is not a finite",
        SECONDS_FROM_0,
    ),
    (
        {"DEPLOYER_LOCK_WAIT_SECONDS": "-1"},
        ("deploy",),
        "DEPLOYER_LOCK_WAIT_SECONDS: '-1' is out of range",
        SECONDS_FROM_0,
    ),
    ({"DEPLOYER_POLL_SECONDS": "NaN"}, ("plan",), "DEPLOYER_POLL_SECONDS: 'NaN' is not a finite", SECONDS_ABOVE_0),
    ({"DEPLOYER_POLL_SECONDS": "0"}, ("status",), "DEPLOYER_POLL_SECONDS: '0' is out of range", SECONDS_ABOVE_0),
    ({"DEPLOYER_POLL_SECONDS": "fast"}, ("deploy",), "DEPLOYER_POLL_SECONDS: 'fast' is not a number", SECONDS_ABOVE_0),
    ({"DEPLOYER_LOCK_TTL_SECONDS": "-900"}, ("deploy",), "DEPLOYER_LOCK_TTL_SECONDS: '-900' is out of range", ">= 1"),
    ({"DEPLOYER_LOCK_TTL_SECONDS": "1e3"}, ("test",), "DEPLOYER_LOCK_TTL_SECONDS: '1e3' is not an integer", ">= 1"),
    ({"DEPLOYER_MAX_ATTEMPTS": "Infinity"}, ("promote",), "DEPLOYER_MAX_ATTEMPTS: 'Infinity' is not an", ">= 1"),
    ({"DEPLOYER_MAX_ATTEMPTS": "true"}, ("deploy",), "DEPLOYER_MAX_ATTEMPTS: 'true' is not an integer", ">= 1"),
    ({}, ("deploy", "--timeout", "nan"), "argument --timeout: 'nan' is not a finite number", SECONDS_ABOVE_0),
    ({}, ("deploy", "--timeout=-inf"), "argument --timeout: '-inf' is not a finite number", SECONDS_ABOVE_0),
    ({}, ("rollback", "--timeout", "0"), "argument --timeout: '0' is out of range", SECONDS_ABOVE_0),
    ({}, ("rollback", "--lock-wait", "-1"), "argument --lock-wait: '-1' is out of range", SECONDS_FROM_0),
    ({}, ("deploy", "--lock-wait", "Infinity"), "argument --lock-wait: 'Infinity' is not a finite", SECONDS_FROM_0),
    ({}, ("deploy", "--lock-wait", "soon"), "argument --lock-wait: 'soon' is not a number", SECONDS_FROM_0),
]


@pytest.mark.parametrize(
    ("environ", "args", "named", "allowed"), BAD_INPUT, ids=[" ".join([*c[0], *c[1]]) for c in BAD_INPUT]
)
def test_bad_numbers_in_flags_and_environment_are_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environ: dict[str, str],
    args: tuple[str, ...],
    named: str,
    allowed: str,
) -> None:
    """Refused before any config is read or AWS is called (the config dir does not even exist)."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    stage = () if args[0] == "status" else ("--stage", "dev")
    try:
        code = main(["--config-dir", str(tmp_path / "none"), *args, *stage])
    except SystemExit as exc:  # argparse refuses a bad flag value itself
        code = int(str(exc.code))
    err = capsys.readouterr().err
    assert code == 2 and named in err and allowed in err, err
    assert "Traceback" not in err and "dev.json" not in err


def test_good_numbers_from_the_environment_and_flags_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOYER_LOCK_WAIT_SECONDS", " 2.5 ")
    args = build_parser().parse_args(["deploy", "--stage", "dev"])
    resolve_globals(args)
    assert args.lock_wait == 2.5 and args.timeout is None
    monkeypatch.setenv("DEPLOYER_LOCK_WAIT_SECONDS", "nan")  # not read when the flag is given
    args = build_parser().parse_args(["deploy", "--stage", "dev", "--lock-wait", "0", "--timeout", "1e3"])
    resolve_globals(args)
    assert (args.lock_wait, args.timeout) == (0.0, 1000.0)
    monkeypatch.setenv("DEPLOYER_LOCK_WAIT_SECONDS", "")
    resolve_globals(args := build_parser().parse_args(["rollback", "--stage", "dev"]))
    assert args.lock_wait == 0.0


def test_a_bad_variable_is_one_error_line_from_the_console_script(tmp_path: Path) -> None:
    """The lock wait's variable used to be read while the parser was built: now it is exit 2, no traceback."""
    env = {**os.environ, "DEPLOYER_LOCK_WAIT_SECONDS": "nan", "DEPLOYER_OUTPUT": "text"}
    done = subprocess.run(
        [str(DEPLOYER_SCRIPT), "deploy", "--stage", "dev", "--config-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "error: DEPLOYER_LOCK_WAIT_SECONDS: 'nan' is not a finite number (allowed: seconds, a finite number >= 0)"
    )
