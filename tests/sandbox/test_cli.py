"""The sandbox CLI: start/stop/status with a pid file, loopback only, clear one-line errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Sandbox, free_port


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANDBOX_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "sandbox", *args], capture_output=True, text=True, env=env, timeout=90)


def test_start_status_second_start_and_stop(tmp_path: Path) -> None:
    port = str(free_port())
    started = run_cli(tmp_path, "start", "--port", port)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        state = json.loads((tmp_path / ".sandbox" / "sandbox.json").read_text())
        assert state["port"] == int(port)
        assert (tmp_path / ".sandbox" / "sandbox.log").exists()

        again = run_cli(tmp_path, "start", "--port", port)
        assert again.returncode == 1
        assert again.stdout.strip() == f"sandbox already running: pid {state['pid']} on http://127.0.0.1:{port}"

        status = run_cli(tmp_path, "status", "--output", "json")
        assert status.returncode == 0
        assert json.loads(status.stdout) == {
            "running": True,
            "pid": state["pid"],
            "host": "127.0.0.1",
            "port": int(port),
        }
    finally:
        stopped = run_cli(tmp_path, "stop")
    assert stopped.returncode == 0
    assert f"pid {state['pid']}" in stopped.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(state["pid"], 0)
    assert run_cli(tmp_path, "status").returncode == 3


def test_port_in_use_is_one_line_naming_the_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(tmp_path, "serve", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == f"sandbox: port {port} on 127.0.0.1 is already in use"


@pytest.mark.parametrize("host", ["0.0.0.0", "8.8.8.8"])
def test_refuses_non_loopback_hosts(tmp_path: Path, host: str) -> None:
    result = run_cli(tmp_path, "serve", "--host", host, "--port", str(free_port()))
    assert result.returncode == 2
    assert "only on loopback" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_env_prints_exports(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "env", "--port", "6001", "--output", "json")
    env = json.loads(result.stdout)
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:6001"
    assert env["SANDBOX_ACCOUNT_PROD"] == "444444444444"
    text = run_cli(tmp_path, "env", "--port", "6001").stdout
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:6001" in text.splitlines()


def test_accounts_file_overrides_and_rejects_bad_ids(tmp_path: Path) -> None:
    good = tmp_path / "accounts.json"
    good.write_text(json.dumps({"prod": "999999999999"}))
    env = {**os.environ, "SANDBOX_ACCOUNTS_FILE": str(good), "SANDBOX_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "sandbox", "env", "--output", "json"], capture_output=True, text=True, env=env
    )
    assert json.loads(out.stdout)["SANDBOX_ACCOUNT_PROD"] == "999999999999"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"qa": "12"}))
    env["SANDBOX_ACCOUNTS_FILE"] = str(bad)
    out = subprocess.run([sys.executable, "-m", "sandbox", "env"], capture_output=True, text=True, env=env)
    assert out.returncode == 2
    assert "qa: unknown role (allowed: tooling, dev, staging, prod)" in out.stderr


def test_default_credentials_land_in_tooling_and_assume_role_in_target(sandbox: Sandbox) -> None:
    assert sandbox.client("sts").get_caller_identity()["Account"] == "111111111111"
    for name, account in [("dev", "222222222222"), ("staging", "333333333333"), ("prod", "444444444444")]:
        assert sandbox.client("sts", name, "deployer").get_caller_identity()["Account"] == account


def test_managed_policies_are_loaded(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam", "dev")
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")  # type: ignore[attr-defined]
    assert policy["Policy"]["PolicyName"] == "AmazonSageMakerFullAccess"


def test_reset_wipes_state(sandbox: Sandbox, unique) -> None:  # type: ignore[no-untyped-def]
    s3 = sandbox.client("s3")
    bucket = unique("reset")
    s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    sandbox.reset()
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]  # type: ignore[attr-defined]
    assert bucket not in names
