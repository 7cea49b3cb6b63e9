"""Shared plumbing: repo paths, medians, timed subprocesses, and a private sandbox server on a free port."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3

from sandbox.testing import ADMIN_ROLE, ensure_admin_role, session_from

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
REGION = "us-east-1"
ACCOUNTS = {"tooling": "111111111111", "dev": "222222222222", "staging": "333333333333", "prod": "444444444444"}
TIME_SCALE = 0.01  # wall seconds per simulated AWS second (the sandbox default)
AWS_POLL_SECONDS = 15.0  # the deployer's default poll against AWS (DESIGN: 15 to 30 s)
NAIVE_POLL_SECONDS = 5.0  # the baseline: a waiter that polls every 5 s


class BenchError(RuntimeError):
    """Something is broken (a rollout failed, a status is wrong, a command exited non-zero)."""


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def rounded(value: float, digits: int = 3) -> float:
    return round(value, digits)


def run_timed(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO,
    timeout: float = 1800,
    ok: tuple[int, ...] = (0,),
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command, return (wall seconds, the finished process); raise BenchError on an unexpected exit code."""
    start = time.perf_counter()
    proc = subprocess.run(
        list(cmd), cwd=cwd, env=dict(env) if env is not None else None, capture_output=True, text=True, timeout=timeout
    )
    seconds = time.perf_counter() - start
    if proc.returncode not in ok:
        raise BenchError(
            f"{' '.join(cmd)} exited {proc.returncode} (expected {ok})\n"
            f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
        )
    return seconds, proc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


class SandboxServer:
    """`python -m sandbox serve` on 127.0.0.1 and a free port, stopped by its pid. Never the shared one."""

    def __init__(self, log_dir: Path, *, time_scale: float = TIME_SCALE, iam_mode: str = "enforce") -> None:
        self.time_scale = time_scale
        self.iam_mode = iam_mode
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"sandbox-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """What a client process needs: endpoint, credentials, region, and polls scaled like the clock."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "DEPLOYER_POLL_SECONDS": f"{AWS_POLL_SECONDS * self.time_scale:g}",
        }

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "SANDBOX_TIME_SCALE": f"{self.time_scale:g}", "SANDBOX_IAM": self.iam_mode}
        for key in ("AWS_ENDPOINT_URL", "SANDBOX_ACCOUNTS_FILE"):
            env.pop(key, None)
        with open(self.log_path, "wb") as log_file:
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "sandbox", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"sandbox exited early with code {self.proc.returncode}; see {self.log_path}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise BenchError(f"sandbox did not listen on port {self.port} within {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()

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

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def base_session(self) -> boto3.Session:
        """Default credentials: they land in the tooling account."""
        return boto3.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox", region_name=REGION)

    def session(self, account: str, role: str = ADMIN_ROLE) -> boto3.Session:
        """An admin session inside `account` (tooling, dev, staging, prod, or a 12-digit id)."""
        account_id = ACCOUNTS.get(account, account)
        base = self.base_session()
        if account_id == ACCOUNTS["tooling"] and role == ADMIN_ROLE:
            return base
        creds = base.client("sts", endpoint_url=self.url).assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="bench"
        )["Credentials"]
        return session_from(creds, REGION)

    def client(self, service: str, account: str = "tooling") -> Any:
        return self.session(account).client(service, endpoint_url=self.url)

    def ensure_deployer_roles(self, account: str, stage: str) -> None:
        """The roles a stage config names (registry role in tooling, deploy role in the target), as
        administrators: the bench measures the deployer, not the modules' policies."""
        ensure_admin_role(self.client("iam"), f"churn-deployer-{stage}", ACCOUNTS["tooling"])
        ensure_admin_role(self.client("iam", account), "churn-deploy", ACCOUNTS["tooling"])


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
