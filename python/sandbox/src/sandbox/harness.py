"""A private sandbox for tests and benchmarks: its own server process on a free loopback port, stopped by its
pid, the environment that points AWS clients at it, and administrator sessions in each of its accounts.

Never the shared background sandbox of `python -m sandbox start`: every caller gets a fresh world.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import botocore.session

from sandbox.accounts import DEFAULT_ACCOUNTS
from sandbox.testing import ADMIN_ROLE, ensure_admin_role

logger = logging.getLogger(__name__)

ACCOUNTS: dict[str, str] = dict(DEFAULT_ACCOUNTS)
TOOLING = ACCOUNTS["tooling"]
REGION = "us-east-1"
TIME_SCALE = 0.01  # wall seconds per simulated AWS second (the sandbox default)
KEY = "sandbox"  # the default credentials: access key and secret alike; they land in tooling


class SandboxStartError(RuntimeError):
    """The sandbox process exited early or never listened."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_session(loader: Any = None, credentials: Mapping[str, Any] | None = None) -> boto3.Session:
    """A session with the default credentials, or STS `credentials` (an AssumeRole answer's `Credentials`).

    `loader`, a botocore data loader, lets many sessions share parsed service models (much faster setup).
    """
    key, secret, token = KEY, KEY, None
    if credentials is not None:
        key, secret, token = credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    if loader is None:
        return boto3.Session(
            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region_name=REGION
        )
    core = botocore.session.Session()
    core.register_component("data_loader", loader)
    core.set_credentials(key, secret, token)
    return boto3.Session(botocore_session=core, region_name=REGION)


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


class Sandbox:
    """`python -m sandbox serve` on 127.0.0.1 and a free port; `start()` it, `stop()` it (or use `running`)."""

    def __init__(
        self,
        log_dir: Path,
        *,
        time_scale: float = TIME_SCALE,
        iam_mode: str = "enforce",
        poll_seconds: float = 0.1,
        session_name: str = "tests",
    ) -> None:
        self.time_scale = time_scale
        self.iam_mode = iam_mode
        self.poll_seconds = poll_seconds  # the deployer's poll interval in clients pointed here
        self.session_name = session_name  # RoleSessionName of the admin sessions (it shows in caller ARNs)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"sandbox-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """What a client process needs: endpoint, credentials, region, and the deployer's poll interval."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "DEPLOYER_POLL_SECONDS": f"{self.poll_seconds:g}",
        }

    def start(self, timeout: float = 60.0) -> Sandbox:
        env = {**os.environ, "SANDBOX_TIME_SCALE": f"{self.time_scale:g}", "SANDBOX_IAM": self.iam_mode}
        for key in ("AWS_ENDPOINT_URL", "SANDBOX_ACCOUNTS_FILE"):  # a private sandbox has the default accounts
            env.pop(key, None)
        with open(self.log_path, "wb") as log_file:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sandbox", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        logger.debug("sandbox pid %s starting on %s", self.proc.pid, self.url)
        self._wait_listening(self.proc, timeout)
        return self

    def _wait_listening(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            with contextlib.suppress(subprocess.TimeoutExpired):  # waits on an early exit, not on the clock
                proc.wait(timeout=0.05)
                raise SandboxStartError(f"sandbox exited early with code {proc.returncode}; see {self.log_path}")
        self.stop()
        raise SandboxStartError(
            f"sandbox did not listen on port {self.port} within {timeout:.0f}s; see {self.log_path}"
        )

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            _stop_process(proc)

    @contextlib.contextmanager
    def environment(self) -> Iterator[None]:
        """This process's AWS clients (and the CLIs it runs) talk to this sandbox while inside."""
        saved = {key: os.environ.get(key) for key in self.env}
        os.environ.update(self.env)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def chaos(self, spec: Mapping[str, Any] | None) -> dict[str, Any]:
        """Turn chaos mode on with `spec` (counters afresh) or off (None); returns the spec now live and what was
        injected (on turning off: what the run that ended injected)."""
        url = f"{self.url}/_sandbox/chaos"
        if spec is None:
            request = urllib.request.Request(url, method="DELETE")
        else:
            request = urllib.request.Request(url, data=json.dumps(dict(spec)).encode(), method="PUT")
        with urllib.request.urlopen(request, timeout=30) as answer:
            state: dict[str, Any] = json.loads(answer.read())
        return state

    def chaos_state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_sandbox/chaos", timeout=30) as answer:
            state: dict[str, Any] = json.loads(answer.read())
        return state

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def base_session(self) -> boto3.Session:
        """Default credentials: they land in the tooling account."""
        return base_session()

    def session(self, account: str = "tooling", role: str = ADMIN_ROLE, *, loader: Any = None) -> boto3.Session:
        """A session inside `account` (tooling, dev, staging, prod, or a 12-digit id).

        The default is the bootstrap administrator in tooling and OrganizationAccountAccessRole elsewhere.
        Any other role name is created on first use as an administrator trusting the tooling account, so a
        test about a resource policy exercises that policy, not the caller's identity policy.
        """
        account_id = ACCOUNTS.get(account, account)
        base = base_session(loader)
        if account_id == TOOLING and role == ADMIN_ROLE:
            return base
        if role != ADMIN_ROLE:
            self.ensure_admin_role(account_id, role)
        creds = base.client("sts", endpoint_url=self.url).assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName=self.session_name
        )["Credentials"]
        return base_session(loader, creds)

    def ensure_admin_role(self, account: str, role: str) -> None:
        """`role` in `account` (a name or an id), once, as an administrator that tooling may assume."""
        ensure_admin_role(self.client("iam", account), role, TOOLING)

    def client(self, service: str, account: str = "tooling", role: str = ADMIN_ROLE) -> Any:
        return self.session(account, role).client(service, endpoint_url=self.url)


@contextlib.contextmanager
def running(log_dir: Path, **options: Any) -> Iterator[Sandbox]:
    """A started sandbox (options as for `Sandbox`), stopped on the way out whatever happens."""
    box = Sandbox(log_dir, **options).start()
    try:
        yield box
    finally:
        box.stop()
