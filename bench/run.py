"""Benchmarks of the deployer and the platform on the local sandbox.

    .venv/bin/python bench/run.py [--quick] [--out bench/results.json] [--only FIGURE,...]

Writes results JSON and a Markdown table next to it (same name, .md), and prints the table. Exit 0 when
every figure ran; 1 when something is broken (a rollout failed, status was wrong, a command failed, the
polling budget was exceeded). Slowness never fails a run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import boto3  # noqa: E402

from bench import (  # noqa: E402
    cold_start,
    iam_cost,
    local_run,
    onboarding,
    peer,
    report,
    rollouts,
    status_scale,
    terraform,
)
from bench.common import BenchError, bench_sandbox, load_average, write_json  # noqa: E402
from sandbox.harness import TIME_SCALE  # noqa: E402

FIGURES = (
    "cold_start",
    "rollout_calls",
    "polling_budget",
    "status_scale",
    "local_run",
    "iam_cost",
    "terraform",
    "onboarding",
    "peer",
)


@dataclass(frozen=True)
class Mode:
    name: str
    cold_start: int
    rollout_calls: int
    polling_budget: int
    status_per_account: int
    status: int
    status_cli: int
    status_workers: tuple[int, ...]
    demo: bool
    terraform_envs: tuple[str, ...]
    terraform: int
    terraform_split: bool  # also time `plan -refresh=false` in every repeat
    iam_repeats: int  # rollouts per enforcement mode
    onboarding_models: int  # the models map grows to this many, one apply of tooling and dev per added model

    def repeats(self) -> dict[str, int]:
        return {
            "cold_start": self.cold_start,
            "rollout_calls": self.rollout_calls,
            "polling_budget": self.polling_budget,
            "status_scale": self.status,
            "status_scale_cli": self.status_cli,
            "terraform": self.terraform,
            "iam_cost": self.iam_repeats,
            "onboarding_models": self.onboarding_models,
        }


QUICK = Mode("quick", 3, 1, 1, 10, 1, 1, (8,), False, ("tooling", "dev"), 1, False, 2, 3)
FULL = Mode("full", 10, 3, 3, 50, 3, 3, (4, 8, 16), True, ("tooling", "dev", "staging", "prod"), 3, True, 5, 20)


def _say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


PARTIAL: Path | None = None  # each figure's result, written as soon as it is done (.build/bench/<out>.partial.json)


def _figure(name: str, figures: dict[str, Any], body: Callable[[], dict[str, Any]]) -> None:
    _say(f"{name} ...")
    start = time.perf_counter()
    try:
        figures[name] = body()
    except BenchError as exc:
        figures[name] = {"status": "failed", "error": str(exc)}
    except Exception as exc:  # a bug or a broken interface: report it, keep the other figures
        figures[name] = {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    figures[name]["figure_seconds"] = round(time.perf_counter() - start, 1)
    if PARTIAL is not None:  # a run that is killed later keeps what it measured
        write_json(PARTIAL, {"partial": True, "figures": figures})
    _say(f"{name}: {figures[name]['status']} ({figures[name]['figure_seconds']} s)")
    if figures[name]["status"] == "failed":
        _say(f"{name}: {figures[name]['error'][:2000]}")


def run(mode: Mode, only: set[str], work: Path) -> dict[str, Any]:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    load_start = load_average()
    figures: dict[str, Any] = {}
    skipped = {name: {"status": "skipped (--only)"} for name in FIGURES if name not in only}

    sandbox_figures = [f for f in ("cold_start", "rollout_calls", "polling_budget", "status_scale") if f in only]
    if sandbox_figures:
        box = bench_sandbox(work)
        box.start()
        saved = {key: os.environ.get(key) for key in box.env}
        os.environ.update(box.env)  # the deployer in this process, and the CLIs it runs, talk to this sandbox
        try:
            if "cold_start" in only:
                _figure("cold_start", figures, lambda: cold_start.run(box, work, mode.cold_start))
            if "rollout_calls" in only:
                _figure("rollout_calls", figures, lambda: rollouts.rollout_calls(box, work, mode.rollout_calls))
            if "polling_budget" in only:
                _figure("polling_budget", figures, lambda: rollouts.polling_budget(box, work, mode.polling_budget))
            if "status_scale" in only:
                _figure(
                    "status_scale",
                    figures,
                    lambda: status_scale.run(
                        box,
                        work,
                        per_account=mode.status_per_account,
                        repeats=mode.status,
                        cli_repeats=mode.status_cli,
                        workers=list(mode.status_workers),
                    ),
                )
        finally:
            box.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    if "local_run" in only:
        if mode.demo:
            _figure("local_run", figures, lambda: local_run.run(work))
        else:
            figures["local_run"] = {"status": "skipped in quick mode"}
    if "iam_cost" in only:
        demo = figures.get("local_run") if mode.demo else None
        _figure("iam_cost", figures, lambda: iam_cost.run(work, mode.iam_repeats, demo))
    if "terraform" in only or "onboarding" in only:
        box = bench_sandbox(work)  # a fresh sandbox: Terraform's state only
        box.start()
        try:
            root: Path | None = None
            if "terraform" in only:
                root = terraform.private_root(work)
                _figure(
                    "terraform",
                    figures,
                    lambda: terraform.run(
                        box,
                        work,
                        envs=mode.terraform_envs,
                        repeats=mode.terraform,
                        split_refresh=mode.terraform_split,
                        root=root,
                    ),
                )
                if figures["terraform"].get("status") != "ok":
                    root = None  # its states are not the shipped platform applied: onboarding starts from nothing
            if "onboarding" in only:
                # after the Terraform figure, on its states: the shipped models are model 1
                _figure(
                    "onboarding", figures, lambda: onboarding.run(box, work, models=mode.onboarding_models, root=root)
                )
        finally:
            box.stop()
    if "peer" in only:
        box = bench_sandbox(work)  # its own: the peer's Terraform state and the deployer's rollout, side by side
        box.start()
        try:
            with box.environment():
                _figure("peer", figures, lambda: peer.run(box, work))
        finally:
            box.stop()

    figures = {name: figures.get(name, skipped.get(name, {"status": "missing"})) for name in FIGURES}
    checks = _checks(figures)
    return {
        "meta": {
            "mode": mode.name,
            "started": started.strftime("%Y-%m-%d %H:%M UTC"),
            "run_seconds": round(time.perf_counter() - t0, 1),
            "cpus": os.cpu_count(),
            "load_average_start": load_start,
            "load_average_end": load_average(),
            "python": platform.python_version(),
            "boto3": boto3.__version__,
            "time_scale": TIME_SCALE,
            "deployer_poll_seconds": f"{15 * TIME_SCALE:g}",
            "repeats": mode.repeats(),
        },
        "figures": figures,
        "checks": checks,
        "ok": all(c["ok"] for c in checks),
    }


def _checks(figures: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for name, figure in figures.items():
        status = str(figure.get("status", ""))
        if status == "ok" or status.startswith(("skipped", "not available")):
            checks.append({"name": f"{name} ran", "ok": True, "detail": status})
        else:
            checks.append({"name": f"{name} ran", "ok": False, "detail": figure.get("error", status)})
    poll = figures.get("polling_budget", {})
    if poll.get("status") == "ok":
        checks.append(
            {
                "name": "at most one Describe per 15 AWS s",
                "ok": bool(poll["budget_ok"]),
                "detail": f"min gap {poll['min_gap_aws_seconds']} AWS s",
            }
        )
    side = figures.get("peer", {})
    if side.get("status") == "ok":
        checks.append(
            {
                "name": "peer: the deployer reports the rollback and keeps what its endpoint runs on",
                "ok": bool(side["deployer_ok"]),
                "detail": "; ".join(side["deployer_problems"]) or "exit code, config, model and ledger as expected",
            }
        )
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small N, fewer endpoints, no demo, tooling+dev only")
    parser.add_argument(
        "--out",
        type=Path,
        help="results JSON (default: bench/results.json; with --quick .build/bench/results-quick.json, so a "
        "quick run never overwrites the committed full results)",
    )
    parser.add_argument("--only", help=f"comma-separated figures to run (default: all): {', '.join(FIGURES)}")
    parser.add_argument("--keep-work", action="store_true", help="keep the work dir (logs, configs, profiles)")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    only = set(FIGURES) if not args.only else {f.strip() for f in args.only.split(",") if f.strip()}
    unknown = only - set(FIGURES)
    if unknown:
        parser.error(f"--only: unknown figure(s) {', '.join(sorted(unknown))} (allowed: {', '.join(FIGURES)})")
    out: Path = args.out or (
        REPO / ".build" / "bench" / "results-quick.json" if args.quick else REPO / "bench" / "results.json"
    )
    global PARTIAL
    PARTIAL = REPO / ".build" / "bench" / f"{out.stem}.partial.json"  # .build/ is not tracked
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    _say(f"mode {mode.name}; work dir {work}; results {out}")
    try:
        results = run(mode, only, work)
    finally:
        if args.keep_work:
            _say(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    write_json(out, results)
    PARTIAL.unlink(missing_ok=True)
    markdown = report.render(results)
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
    _say(f"wrote {out} and {out.with_suffix('.md')}")
    if not results["ok"]:
        _say(
            "something is broken: " + "; ".join(f"{c['name']}: {c['detail']}" for c in results["checks"] if not c["ok"])
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
