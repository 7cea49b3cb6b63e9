"""Figure 5: the wall time of `make demo`'s steps, as scripts/demo.py reports them with `--timings`."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, rounded

DEMO = REPO / "scripts" / "demo.py"


def _shared_sandbox_running() -> str:
    """The pid of a background sandbox (`python -m sandbox start`) in this checkout, or ''."""
    proc = subprocess.run(
        [PYTHON, "-m", "sandbox", "status", "--output", "json"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    try:
        state = json.loads(proc.stdout or "{}")
    except ValueError:
        return ""
    return str(state.get("pid", "")) if state.get("running") else ""


def run(work: Path, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    if not DEMO.is_file():
        return {"status": "not available: scripts/demo.py missing"}
    if "--timings" not in DEMO.read_text():
        return {"status": "not available: scripts/demo.py has no --timings option"}
    pid = _shared_sandbox_running()
    if pid:
        # The demo wipes a running background sandbox; never do that to someone else's session.
        return {
            "status": f"skipped: a background sandbox (pid {pid}) is running in this checkout; the demo would wipe it"
        }
    timings = work / "demo-timings.json"
    log_path = work / "demo.log"
    work.mkdir(parents=True, exist_ok=True)
    env = {**{k: v for k, v in os.environ.items() if k != "KEEP"}, **(extra_env or {})}
    for key in ("AWS_ENDPOINT_URL", "DEPLOYER_POLL_SECONDS"):
        env.pop(key, None)  # the demo points itself at its own sandbox
    start = time.perf_counter()
    with open(log_path, "w") as log_file:
        proc = subprocess.run(
            [PYTHON, str(DEMO), "--timings", str(timings)],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=1800,
        )
    wall = time.perf_counter() - start
    data: dict[str, Any] = json.loads(timings.read_text()) if timings.is_file() else {}
    steps = [{"name": str(s["name"]), "seconds": rounded(float(s["seconds"]), 1)} for s in data.get("steps", [])]
    result: dict[str, Any] = {
        "status": "ok" if proc.returncode == 0 else "failed",
        "exit_code": proc.returncode,
        "wall_seconds": rounded(wall, 1),
        "total_seconds": data.get("total_seconds"),
        "steps": steps,
        "note": "one run (the demo is a scenario, not a loop); `make demo` with KEEP unset",
    }
    if proc.returncode != 0:
        result["log_tail"] = log_path.read_text()[-3000:]
    return result
