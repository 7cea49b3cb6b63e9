"""Shared plumbing: repo paths, medians, timed subprocesses, and the bench's private sandbox (`sandbox.harness`)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sandbox.harness import TIME_SCALE, Sandbox

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
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


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def bench_sandbox(log_dir: Path, *, iam_mode: str = "enforce") -> Sandbox:
    """A private sandbox (not started) whose clients poll like the deployer against AWS, on the sandbox clock."""
    return Sandbox(
        log_dir,
        time_scale=TIME_SCALE,
        iam_mode=iam_mode,
        poll_seconds=AWS_POLL_SECONDS * TIME_SCALE,
        session_name="bench",
    )


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
