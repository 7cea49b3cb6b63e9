"""What IAM enforcement costs: the same work with `SANDBOX_IAM=enforce` and with `SANDBOX_IAM=off`.

Two figures, each a ratio of medians (enforced / unenforced):
- one canary rollout through `StageDeployer.deploy()`, whole wall time and the part spent outside the
  endpoint wait (the wait is simulated time, identical in both modes, so it dilutes the ratio);
- the whole demo (full mode only: a demo run takes minutes), from scripts/demo.py's own total.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench import local_run
from bench.common import BenchError, bench_sandbox, median, rounded
from bench.counting import CallLog, CountingSessions, classify
from bench.world import World
from deployer.rollout import StageDeployer
from sandbox.harness import Sandbox

MODES = ("enforce", "off")


def _rollout(box: Sandbox, work: Path, index: int) -> tuple[float, float]:
    world = World(box, work / f"iam-{index}", prefix="iam")
    world.add_version()
    config = world.write_config({"strategy": "canary"})
    log = CallLog()
    sessions = CountingSessions(world.stage, box.base_session(), log, build_id="bench:iam")
    start = time.perf_counter()
    result = StageDeployer(config, sessions).deploy()
    wall = time.perf_counter() - start
    if result.outcome != "deployed":
        raise BenchError(f"{world.endpoint}: rollout under SANDBOX_IAM={box.iam_mode} ended {result.outcome}")
    return wall, wall - classify(log).wait_wall_seconds


def rollout_cost(work: Path, repeats: int) -> dict[str, Any]:
    measured: dict[str, dict[str, float]] = {}
    for mode in MODES:
        box = bench_sandbox(work, iam_mode=mode)
        box.start()
        try:
            with box.environment():
                _rollout(box, work / mode, -1)  # warm-up: model loading and first sessions
                runs = [_rollout(box, work / mode, i) for i in range(repeats)]
        finally:
            box.stop()
        measured[mode] = {"wall": median([r[0] for r in runs]), "outside_wait": median([r[1] for r in runs])}
    return {
        "repeats": repeats,
        "seconds": {m: {k: rounded(v) for k, v in values.items()} for m, values in measured.items()},
        "ratio_wall": rounded(measured["enforce"]["wall"] / measured["off"]["wall"]),
        "ratio_outside_wait": rounded(measured["enforce"]["outside_wait"] / measured["off"]["outside_wait"]),
    }


def demo_cost(work: Path, enforced: dict[str, Any]) -> dict[str, Any]:
    """The demo once more with enforcement off; `enforced` is the local_run figure (enforcement on)."""
    unenforced = local_run.run(work / "iam-off", extra_env={"SANDBOX_IAM": "off"})
    if enforced.get("status") != "ok" or unenforced.get("status") != "ok":
        return {"status": "failed", "enforced": enforced.get("status"), "unenforced": unenforced.get("status")}
    on, off = float(enforced["total_seconds"]), float(unenforced["total_seconds"])
    return {"seconds": {"enforce": on, "off": off}, "ratio": rounded(on / off)}


def run(work: Path, repeats: int, enforced_demo: dict[str, Any] | None) -> dict[str, Any]:
    figure: dict[str, Any] = {"status": "ok", "rollout": rollout_cost(work, repeats)}
    if enforced_demo is not None:
        figure["demo"] = demo_cost(work, enforced_demo)
    else:
        figure["demo"] = {"status": "skipped in quick mode"}
    return figure
