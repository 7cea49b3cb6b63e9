"""Shared fixtures: a sandbox server on a free loopback port, stopped by its pid."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox.testing import ADMIN_ROLE, ensure_admin_role, session_from

REPO = Path(__file__).resolve().parent.parent
ACCOUNTS = {"tooling": "111111111111", "dev": "222222222222", "staging": "333333333333", "prod": "444444444444"}
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sandbox exited early with code {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"sandbox did not listen on port {port} within {timeout}s")


class Sandbox:
    """A running sandbox: its URL and an environment that points AWS clients at it."""

    def __init__(self, url: str, log_path: Path) -> None:
        self.url = url
        self.log_path = log_path
        self.env = {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "DEPLOYER_POLL_SECONDS": "0.1",
        }

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=30)

    def session(self, account: str = "tooling", role: str = ADMIN_ROLE) -> boto3.Session:
        """A boto3 session inside `account` (a role name such as 'dev', or a 12-digit id).

        The default is the bootstrap administrator in tooling and OrganizationAccountAccessRole elsewhere.
        Any other role name is created on first use as an administrator trusting the tooling account, so a
        test about a resource policy exercises that policy, not the caller's identity policy.
        """
        account_id = ACCOUNTS.get(account, account)
        base = boto3.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox", region_name=REGION)
        if account_id == ACCOUNTS["tooling"] and role == ADMIN_ROLE:
            return base
        if role != ADMIN_ROLE:
            self.ensure_admin_role(account_id, role)
        creds = base.client("sts", endpoint_url=self.url).assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="tests"
        )["Credentials"]
        return session_from(creds, REGION)

    def ensure_admin_role(self, account_id: str, role: str) -> None:
        ensure_admin_role(self.session(account_id).client("iam", endpoint_url=self.url), role, ACCOUNTS["tooling"])

    def client(self, service: str, account: str = "tooling", role: str = ADMIN_ROLE) -> object:
        return self.session(account, role).client(service, endpoint_url=self.url)


def start_sandbox(tmp_dir: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Sandbox]:
    port = free_port()
    log_path = tmp_dir / f"sandbox-{port}.log"
    env = {**os.environ, "SANDBOX_TIME_SCALE": "0.01", **(extra_env or {})}
    env.pop("AWS_ENDPOINT_URL", None)
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    _wait_listening(port, proc)
    return proc, Sandbox(f"http://127.0.0.1:{port}", log_path)


def stop_sandbox(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    proc, box = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    try:
        yield box
    finally:
        stop_sandbox(proc)


@pytest.fixture
def sandbox_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The sandbox, with this test's process environment pointing at it."""
    for key, value in sandbox.env.items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Unique resource names, so tests sharing one sandbox never collide."""
    counter = iter(range(1_000_000))
    stamp = f"{os.getpid()}{int(time.time() * 1000) % 100000}"

    def make(prefix: str) -> str:
        return f"{prefix}-{stamp}-{next(counter)}"

    return make


EXECUTION_ROLE = "churn-dev-sagemaker-execution"


@pytest.fixture(scope="session")
def execution_role(sandbox: Sandbox) -> str:
    """The dev execution role the hosting tests' models name: trusted by SageMaker, reads their artifacts."""
    iam: Any = sandbox.client("iam", "dev")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Artifacts",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": ["arn:aws:s3:::artifacts/*", "arn:aws:s3:::churn-artifacts/*"],
            },
            {
                "Sid": "RollbackAlarms",
                "Effect": "Allow",
                "Action": "cloudwatch:DescribeAlarms",
                "Resource": f"arn:aws:cloudwatch:*:{ACCOUNTS['dev']}:alarm:*",
            },
            {
                "Sid": "Capture",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::churn-dev-data-capture/*",
            },
        ],
    }
    try:
        arn: str = iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"]
    iam.put_role_policy(RoleName=EXECUTION_ROLE, PolicyName="endpoint", PolicyDocument=json.dumps(policy))
    return arn
