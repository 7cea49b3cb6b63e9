"""Figure 1: cold start of the deployer CLI against bare interpreter and boto3 import, plus where the time goes."""

from __future__ import annotations

import json
import os
import pstats
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import BIN, PYTHON, BenchError, median, rounded, run_timed
from bench.world import World
from deployer.rollout import StageDeployer
from deployer.sessions import AccountSessions
from sandbox.harness import Sandbox

# (label in the report, pstats function name, path fragment of its file)
PROFILE_BUCKETS = [
    ("deployer.cli.main (everything after imports)", "main", "deployer/cli.py"),
    ("load_stage_config", "load_stage_config", "deployer/config/validate.py"),
    ("boto3/botocore client creation", "create_client", "botocore/session.py"),
    ("AWS API calls (incl. AssumeRole, HTTP to sandbox)", "_make_api_call", "botocore/client.py"),
]
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$")


def _commands(config_dir: Path) -> dict[str, list[str]]:
    deployer = str(BIN / "deployer")
    return {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -c 'import boto3'": [PYTHON, "-c", "import boto3"],
        "deployer --help": [deployer, "--help"],
        "deployer plan": [deployer, "--config-dir", str(config_dir), "--output", "json", "plan", "--stage", "dev"],
    }


def _profile_top(path: Path, limit: int = 10) -> tuple[list[dict[str, Any]], dict[str, float], float]:
    stats = pstats.Stats(str(path))
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = max(ct for _, _, _, ct, _ in raw.values())
    rows: list[dict[str, Any]] = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        if filename.startswith("<frozen") or filename == "~" or func == "<module>":
            continue  # import machinery and module bodies: the import table below covers them
        short = filename.split("site-packages/")[-1].split("/src/")[-1]
        rows.append({"function": f"{short}:{line}({func})", "calls": ncalls, "tottime": tottime, "cumtime": cumtime})
    rows.sort(key=lambda r: float(r["cumtime"]), reverse=True)
    top = [
        {**r, "tottime": rounded(float(r["tottime"])), "cumtime": rounded(float(r["cumtime"]))} for r in rows[:limit]
    ]
    buckets: dict[str, float] = {}
    for label, func_name, fragment in PROFILE_BUCKETS:
        found = [v[3] for (f, _, fn), v in raw.items() if fn == func_name and f.endswith(fragment)]
        buckets[label] = rounded(max(found) if found else 0.0)
    return top, buckets, rounded(total)


def _import_table(stderr: str, limit: int = 8) -> tuple[list[dict[str, Any]], float]:
    """Self time per top-level package from `python -X importtime`, and the total import time."""
    per_package: dict[str, int] = defaultdict(int)
    total_us = 0
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, indent, name = int(match[1]), int(match[2]), match[3], match[4]
        per_package[name.split(".")[0]] += self_us
        if len(indent) <= 1:  # a top-level import: its cumulative time contains everything under it
            total_us += cumulative_us
    rows = sorted(per_package.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    return [{"package": name, "self_seconds": rounded(us / 1e6)} for name, us in rows], rounded(total_us / 1e6)


def run(box: Sandbox, work: Path, repeats: int) -> dict[str, Any]:
    world = World(box, work / "cold-start-config", prefix="cold")
    world.add_version()
    config = world.write_config()
    StageDeployer(config, AccountSessions("dev", box.base_session())).deploy()  # plan then sees a live endpoint
    env = {**os.environ, **box.env}
    # The same plan with bytecode caching on (into a private prefix), as a pip-installed wheel would have it.
    cached_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached_env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    commands = _commands(world.config_dir)
    cached_label = "deployer plan (bytecode cached)"
    envs = {label: env for label in commands}
    if env.get("PYTHONDONTWRITEBYTECODE"):
        commands[cached_label] = commands["deployer plan"]
        envs[cached_label] = cached_env

    for label, cmd in commands.items():  # warm the page cache (and the bytecode cache) once; not counted
        run_timed(cmd, env=envs[label])
    samples: dict[str, list[float]] = {label: [] for label in commands}
    plan_answer: dict[str, Any] = {}
    for _ in range(repeats):  # interleaved, so drift in machine load hits every command alike
        for label, cmd in commands.items():
            seconds, proc = run_timed(cmd, env=envs[label])
            samples[label].append(seconds)
            if label == "deployer plan":
                plan_answer = json.loads(proc.stdout)
    if plan_answer.get("action") != "no-op":
        raise BenchError(f"deployer plan: expected action no-op on a live endpoint, got {plan_answer}")

    medians = {label: median(values) for label, values in samples.items()}
    baseline = medians["python -c 'import boto3'"]
    rows = [
        {
            "command": label,
            "median_seconds": rounded(medians[label]),
            "min_seconds": rounded(min(samples[label])),
            "max_seconds": rounded(max(samples[label])),
            "ratio_to_import_boto3": rounded(medians[label] / baseline, 2),
        }
        for label in commands
    ]

    plan_cmd = commands["deployer plan"]
    profile_path = work / "deployer-plan.prof"
    profiled = [PYTHON, "-m", "cProfile", "-o", str(profile_path), "-m", "deployer", *plan_cmd[1:]]
    run_timed(profiled, env=env)
    top, buckets, profiled_total = _profile_top(profile_path)
    _, imports = run_timed([PYTHON, "-X", "importtime", "-m", "deployer", *plan_cmd[1:]], env=env)
    import_rows, import_total = _import_table(imports.stderr)
    after_imports = buckets["deployer.cli.main (everything after imports)"]
    return {
        "status": "ok",
        "repeats": repeats,
        "rows": rows,
        "plan_over_import_boto3": rounded(medians["deployer plan"] / baseline, 2),
        "help_over_import_boto3": rounded(medians["deployer --help"] / baseline, 2),
        "plan_action": plan_answer.get("action"),
        "where_the_time_goes": {
            "note": "one profiled `deployer plan` (cProfile adds overhead: read shares, not absolute times)",
            "imports_seconds_importtime": import_total,
            "imports_by_package_self_seconds": import_rows,
            "profiled_total_seconds": profiled_total,
            "profile_buckets_cumulative_seconds": buckets,
            "after_imports_share_of_profile": rounded(after_imports / profiled_total, 2) if profiled_total else None,
            "cprofile_top10_cumulative": top,
            "pythondontwritebytecode": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
        },
    }
