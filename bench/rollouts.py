"""Figures 2 and 3: control-plane calls per rollout, and the polling budget of a 20-minute (AWS time) rollout.

Every rollout runs in-process through the deployer's own `StageDeployer.deploy()` against a fresh
`CountingSessions` (so each one pays for its role assumptions, as a CodeBuild run does). AWS time is wall
time divided by the sandbox's time scale; the deployer's poll interval is DEPLOYER_POLL_SECONDS, set to
15 s x the time scale, i.e. 15 AWS seconds.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import math
import os
import time
from pathlib import Path
from typing import Any

from bench.common import AWS_POLL_SECONDS, NAIVE_POLL_SECONDS, BenchError, median, rounded
from bench.counting import CallLog, CountingSessions, RolloutCalls, classify
from bench.world import World
from deployer import cli
from deployer.config import load_stage_config
from deployer.rollout import StageDeployer
from sandbox.harness import Sandbox

# name -> (deployment section overrides, expected plan action, AWS seconds SageMaker takes by the sandbox's plan)
# P = 100 s provisioning, W = 60 s bake, 2 instances, steps of 50 %.
SCENARIOS: dict[str, tuple[dict[str, Any], str, int]] = {
    "create": ({"strategy": "canary"}, "create", 100),
    "all_at_once": ({"strategy": "all_at_once"}, "update", 100 + 60),
    "canary": ({"strategy": "canary"}, "update", 100 + 60 + 60),
    "linear": ({"strategy": "linear"}, "update", 100 + 60 + 60),
    "rolling": ({"strategy": "rolling"}, "update", 2 * (100 + 60)),
}
# 20 AWS minutes: provision 100 s, canary bake 550 s, full bake 550 s.
LONG_ROLLOUT = {"strategy": "canary", "wait_seconds": 550}
LONG_ROLLOUT_AWS_SECONDS = 100 + 550 + 550


def _deployment(overrides: dict[str, Any]) -> dict[str, Any]:
    if overrides.get("strategy") == "all_at_once":
        return {**overrides, "step": None}  # all at once takes no step size
    return overrides


def deploy_counted(
    box: Sandbox, world: World, overrides: dict[str, Any], expect: str
) -> tuple[RolloutCalls, float, int]:
    """One counted `deploy()`; return its calls, wall seconds and the number of clients it created."""
    config = world.write_config(_deployment(overrides))
    log = CallLog()
    sessions = CountingSessions(world.stage, box.base_session(), log, build_id="bench:build")
    start = time.perf_counter()
    result = StageDeployer(config, sessions).deploy()
    wall = time.perf_counter() - start
    if result.outcome != "deployed" or result.plan.action != expect:
        raise BenchError(f"{world.endpoint}: expected a {expect} rollout, got {result.outcome}/{result.plan.action}")
    return classify(log), wall, sessions.clients_created


def plan_counted(box: Sandbox, world: World) -> tuple[RolloutCalls, float, int]:
    """One counted `plan()` of a live, up-to-date endpoint (a no-op)."""
    config = load_stage_config(world.config_dir, world.stage)
    log = CallLog()
    sessions = CountingSessions(world.stage, box.base_session(), log, build_id="bench:build")
    start = time.perf_counter()
    plan = StageDeployer(config, sessions).plan()
    wall = time.perf_counter() - start
    if plan.action != "no-op":
        raise BenchError(f"{world.endpoint}: expected plan no-op, got {plan.action} ({plan.reason})")
    return classify(log), wall, sessions.clients_created


def cli_counted(box: Sandbox, world: World, verb: list[str]) -> tuple[RolloutCalls, float, int, dict[str, Any]]:
    """A `deployer` verb as CodeBuild runs it (for deploy: lease lock and ledger records around the rollout),
    in-process through the CLI's `sessions_factory` hook so that its calls can be counted. Returns the calls,
    wall seconds, clients created and the verb's JSON answer."""
    log = CallLog()
    made: list[CountingSessions] = []

    def factory(stage: str, region: str | None) -> CountingSessions:
        made.append(CountingSessions(stage, box.base_session(), log, build_id="bench:cli-build"))
        return made[-1]

    argv = ["--config-dir", str(world.config_dir), "--output", "json", "--log-level", "WARNING", *verb]
    argv += ["--stage", world.stage]
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = cli.main(argv, sessions_factory=factory)
    wall = time.perf_counter() - start
    if code != 0:
        raise BenchError(f"deployer {' '.join(verb)} (in-process CLI) exited {code}: {out.getvalue()[-2000:]}")
    answer = json.loads(out.getvalue())
    return classify(log), wall, sum(s.clients_created for s in made), answer if isinstance(answer, dict) else {}


def _cli_has_sessions_factory() -> bool:
    return "sessions_factory" in inspect.signature(cli.main).parameters


CLI_DEPLOY = "canary via `deployer deploy` (lock + ledger)"
CLI_PLAN = "`deployer plan` (no-op)"
PLAN = "plan (no-op, StageDeployer)"


def rollout_calls(box: Sandbox, work: Path, repeats: int) -> dict[str, Any]:
    cli_rows = [CLI_DEPLOY, CLI_PLAN] if _cli_has_sessions_factory() else []
    names = [*SCENARIOS, PLAN, *cli_rows]
    per: dict[str, list[tuple[RolloutCalls, float, int]]] = {name: [] for name in names}
    for index in range(repeats):
        world = World(box, work / f"calls-{index}", prefix="calls")
        for name, (overrides, expect, _) in SCENARIOS.items():
            world.add_version()
            per[name].append(deploy_counted(box, world, overrides, expect))
        per[PLAN].append(plan_counted(box, world))
        if cli_rows:
            world.add_version()
            world.write_config(_deployment({"strategy": "canary"}))
            counted, wall, clients, _ = cli_counted(box, world, ["deploy"])
            per[CLI_DEPLOY].append((counted, wall, clients))
            counted, wall, clients, answer = cli_counted(box, world, ["plan"])
            if answer.get("action") != "no-op":
                raise BenchError(f"deployer plan after deploy: expected no-op, got {answer.get('action')}")
            per[CLI_PLAN].append((counted, wall, clients))
    expected_aws = {name: aws for name, (_, _, aws) in SCENARIOS.items()} | {CLI_DEPLOY: SCENARIOS["canary"][2]}
    rows = []
    for name, runs in per.items():
        calls = [r[0] for r in runs]
        aws_wait = median([c.wait_wall_seconds for c in calls]) / box.time_scale
        polling = median([c.polling for c in calls])
        rows.append(
            {
                "rollout": name,
                "sagemaker_aws_seconds": expected_aws.get(name, 0),
                "wait_aws_seconds_measured": rounded(aws_wait, 1),
                "calls_total": median([c.total for c in calls]),
                "calls_excluding_polling": median([c.other for c in calls]),
                "of_which_mutating": median([c.mutating for c in calls]),
                "of_which_reads": median([c.reads for c in calls]),
                "of_which_sts": median([c.sts for c in calls]),
                "polling_describe_calls": polling,
                "naive_5s_polls_same_wait": math.floor(aws_wait / NAIVE_POLL_SECONDS) + 1 if polling else 0,
                "http_attempts": median([c.http_attempts for c in calls]),
                "clients_created": median([r[2] for r in runs]),
                "wall_seconds": rounded(median([r[1] for r in runs])),
                "by_operation": calls[0].by_operation,
            }
        )
    note = "" if cli_rows else "deployer.cli.main has no sessions_factory hook: the CLI path was not counted"
    return {
        "status": "ok",
        "repeats": repeats,
        "rows": rows,
        "client_costs": client_costs(box, max(5, repeats)),
        "note": note,
    }


def client_costs(box: Sandbox, repeats: int) -> dict[str, Any]:
    """What reusing sessions and clients saves: creating them versus one call on a reused client."""
    base = box.base_session()
    reused = base.client("sagemaker", endpoint_url=box.url)
    reused.list_endpoints(MaxResults=1)
    fresh: list[float] = []
    new_client: list[float] = []
    call: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        box.base_session().client("sagemaker", endpoint_url=box.url)
        fresh.append(time.perf_counter() - start)
        start = time.perf_counter()
        base.client("sagemaker", endpoint_url=box.url)
        new_client.append(time.perf_counter() - start)
        start = time.perf_counter()
        reused.list_endpoints(MaxResults=1)
        call.append(time.perf_counter() - start)
    return {
        "repeats": repeats,
        "fresh_session_and_sagemaker_client_ms": rounded(1000 * median(fresh), 1),
        "new_sagemaker_client_from_reused_session_ms": rounded(1000 * median(new_client), 1),
        "one_call_on_reused_client_ms": rounded(1000 * median(call), 1),
    }


def polling_budget(box: Sandbox, work: Path, repeats: int) -> dict[str, Any]:
    """Describe calls while waiting through a 20-minute (AWS time) canary, per 15 AWS seconds."""
    poll_env = float(os.environ["DEPLOYER_POLL_SECONDS"])
    runs: list[RolloutCalls] = []
    for index in range(repeats):
        world = World(box, work / f"poll-{index}", prefix="poll")
        world.add_version()
        deploy_counted(box, world, {"strategy": "canary"}, "create")  # the endpoint to update; not counted
        world.add_version()
        runs.append(deploy_counted(box, world, LONG_ROLLOUT, "update")[0])
    scale = box.time_scale
    aws_waits = [r.wait_wall_seconds / scale for r in runs]
    polls = [r.polling for r in runs]
    per_15 = [p / (w / AWS_POLL_SECONDS) for p, w in zip(polls, aws_waits, strict=True)]
    gaps = [g / scale for r in runs for g in r.poll_gaps_wall]
    aws_wait = median(aws_waits)
    naive = math.floor(aws_wait / NAIVE_POLL_SECONDS) + 1
    naive_per_15 = naive / (aws_wait / AWS_POLL_SECONDS)
    return {
        "status": "ok",
        "repeats": repeats,
        "rollout": "canary 50 %, 2 instances: provision 100 s + bake 550 s + bake 550 s = 1200 AWS s",
        "sandbox_time_scale": scale,
        "deployer_poll_seconds_wall": poll_env,
        "deployer_poll_seconds_aws": rounded(poll_env / scale, 2),
        "wait_aws_seconds": rounded(aws_wait, 1),
        "describe_calls": median(polls),
        "describe_per_15_aws_seconds": rounded(median(per_15), 3),
        "min_gap_aws_seconds": rounded(min(gaps), 2) if gaps else None,
        "median_gap_aws_seconds": rounded(median(gaps), 2) if gaps else None,
        "naive_5s_describe_calls": naive,
        "naive_5s_per_15_aws_seconds": rounded(naive_per_15, 3),
        "calls_saved_vs_naive": rounded(1 - median(polls) / naive, 3),
        "budget_ok": bool(gaps) and min(gaps) >= AWS_POLL_SECONDS * 0.999,
    }
