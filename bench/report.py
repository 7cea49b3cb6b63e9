"""Render results.json as Markdown: a summary table (figure, median, baseline, ratio), then one section per figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("|", "\\|")


def _or_dash(value: Any) -> Any:
    return "-" if value is None else value


def _s(value: Any) -> str:
    return f"{float(value):.2f} s"


def _problem(figure: dict[str, Any]) -> str | None:
    """None when the figure ran; else its status (and error)."""
    status = str(figure.get("status", "missing"))
    if status == "ok":
        return None
    return status + (f": {figure['error']}" if figure.get("error") else "")


def _summary_cold(cold: dict[str, Any]) -> list[list[Any]]:
    by = {r["command"]: r for r in cold["rows"]}
    boto_seconds = by["python -c 'import boto3'"]["median_seconds"]
    boto = f"`import boto3` {_s(boto_seconds)}"
    return [
        [1, f"cold start `{label}`", _s(by[label]["median_seconds"]), boto, f"{by[label]['ratio_to_import_boto3']}x"]
        for label in ("deployer --help", "deployer plan")
    ]


def _summary_calls(calls: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for r in calls["rows"]:
        if not r["polling_describe_calls"]:
            rows.append([2, f"calls per {r['rollout']}", f"{r['calls_total']:g} calls", "", ""])
            continue
        figure = f"calls per rollout: {r['rollout']} ({r['wait_aws_seconds_measured']:g} AWS s wait)"
        measured = f"{r['calls_excluding_polling']:g} + {r['polling_describe_calls']:g} polls"
        baseline = f"naive 5 s poll: {r['naive_5s_polls_same_wait']} polls"
        ratio = f"{r['polling_describe_calls'] / r['naive_5s_polls_same_wait']:.2f}x polls"
        rows.append([2, figure, measured, baseline, ratio])
    return rows


def _summary_poll(poll: dict[str, Any]) -> list[list[Any]]:
    measured = (
        f"{poll['describe_per_15_aws_seconds']:g} ({poll['describe_calls']:g} calls, "
        f"min gap {poll['min_gap_aws_seconds']:g} AWS s)"
    )
    baseline = f"naive 5 s poll: {poll['naive_5s_per_15_aws_seconds']:g} ({poll['naive_5s_describe_calls']} calls)"
    verdict = "met" if poll["budget_ok"] else "EXCEEDED"
    ratio = f"{poll['describe_calls'] / poll['naive_5s_describe_calls']:.2f}x; budget {verdict}"
    return [[3, f"Describe per 15 AWS s, {poll['wait_aws_seconds']:g} AWS s rollout", measured, baseline, ratio]]


def _summary_status(status: dict[str, Any]) -> list[list[Any]]:
    by_key = {r["key"]: r for r in status["rows"]}
    pools = [r for r in status["rows"] if str(r["key"]).startswith("concurrent-")]
    seq = by_key["sequential"]
    cli = by_key.get("cli")
    best = min(pools, key=lambda r: float(r["median_seconds"]))
    scale = (
        f"{status['models']} models x {status['accounts']} stages"
        if "models" in status
        else f"{status['accounts']} accounts x {status['endpoints_per_account']} endpoints"
    )
    figure = f"status, {scale}, {best['workers']} threads"
    baseline = f"sequential {_s(seq['median_seconds'])}"
    if "no-reuse" in by_key:
        baseline += f"; no session reuse {_s(by_key['no-reuse']['median_seconds'])}"
    if cli:
        baseline += f"; CLI {_s(cli['median_seconds'])}"
    ratio = f"speedup {best['speedup_vs_sequential']}x" + (f" (vs CLI {best['speedup_vs_cli']}x)" if cli else "")
    rows: list[list[Any]] = [[4, figure, _s(best["median_seconds"]), baseline, ratio]]
    if cli:
        items = f", {status['ledger_items']} ledger items" if "ledger_items" in status else ""
        rows.append(
            [
                4,
                f"`python -m deployer status --output json`, {scale}{items}",
                _s(cli["median_seconds"]),
                f"goal {_s(STATUS_GOAL_SECONDS)}",
                f"{float(cli['median_seconds']) / STATUS_GOAL_SECONDS:.2f}x the goal",
            ]
        )
    return rows


def _summary_onboarding(onb: dict[str, Any]) -> list[list[Any]]:
    first, last = onb["first_added"], onb["last_added"]
    rows: list[list[Any]] = [
        [
            8,
            f"onboarding: apply per added model, models 2 to {onb['models']} (tooling + {onb['stage']})",
            _s(onb["median_seconds_per_added_model"]),
            f"tooling {_s(onb['median_tooling_seconds'])}, {onb['stage']} {_s(onb['median_stage_seconds'])}",
            f"model {last['model_number']} / model {first['model_number']}: {onb['growth_last_over_first']}x",
        ]
    ]
    for res in onb["resources"].values():
        rows.append(
            [
                8,
                f"resources per model, {res['root']}",
                _cell(_or_dash(res["per_model_median"])),
                f"shared {res['shared']}",
                f"{res['models_in_state']} models, {res['total']} in all",
            ]
        )
    return rows


def _summary_demo(demo: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = [[5, "`make demo`, all steps", _s(demo["total_seconds"] or demo["wall_seconds"]), "", ""]]
    return rows


def _summary_iam(iam: dict[str, Any]) -> list[list[Any]]:
    rollout = iam["rollout"]
    rows: list[list[Any]] = [
        [
            7,
            "IAM enforcement, one canary rollout",
            f"x{rollout['ratio_wall']} wall",
            f"x{rollout['ratio_outside_wait']} outside the endpoint wait",
            f"median of {rollout['repeats']}, enforce / off",
        ]
    ]
    demo = iam.get("demo", {})
    if "ratio" in demo:
        rows.append([7, "IAM enforcement, `make demo`", f"x{demo['ratio']}", "", "one run each, enforce / off"])
    return rows


def _root(env: str) -> str:
    """envs/tooling, or envs/stage with a stage's file."""
    return "envs/tooling" if env == "tooling" else f"envs/stage ({env}.tfvars)"


def _summary_tf(tf: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            6,
            f"no-op `terraform plan` {_root(r['env'])}",
            _s(r["plan_seconds_median"]),
            f"wrapper alone (bucket check + init) {_s(r['wrapper_seconds_median'])}",
            f"net plan {_s(r['plan_net_seconds'])}"
            + (f", of it refresh {_s(r['refresh_seconds'])}" if r.get("refresh_seconds") is not None else ""),
        ]
        for r in tf["rows"]
    ]


def _summary_peer(peer: dict[str, Any]) -> list[list[Any]]:
    """Measured: the deployer; baseline: the Terraform peer, on the same rolled-back update."""
    rows = list(peer["rows"].values())
    terraform, deployer = rows[0], rows[-1]
    verdict = "deployer right" if peer["deployer_ok"] else "deployer WRONG"
    return [
        [
            9,
            f"a rolled-back update: `deployer deploy` vs Terraform's `aws_sagemaker_endpoint` (v{peer['versions'][1]})",
            deployer.get("short", deployer["says"]),
            "Terraform: " + terraform.get("short", terraform["says"]),
            verdict,
        ]
    ]


SUMMARIES = [
    (1, "cold_start", "cold start", _summary_cold),
    (2, "rollout_calls", "calls per rollout", _summary_calls),
    (3, "polling_budget", "polling budget", _summary_poll),
    (4, "status_scale", "status at scale", _summary_status),
    (5, "local_run", "`make demo`", _summary_demo),
    (6, "terraform", "terraform plan", _summary_tf),
    (7, "iam_cost", "IAM enforcement cost", _summary_iam),
    (8, "onboarding", "onboarding models", _summary_onboarding),
    (9, "peer", "a peer, side by side", _summary_peer),
]
STATUS_GOAL_SECONDS = 2.0  # issue 21: `deployer status` over 50 models x 3 stages


def summary_rows(figures: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for number, key, title, render_rows in SUMMARIES:
        figure = figures.get(key, {})
        problem = _problem(figure)
        rows += render_rows(figure) if problem is None else [[number, title, problem, "", ""]]
    return rows


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    figures = results["figures"]
    out = [
        "# Benchmark results",
        "",
        f"Mode **{meta['mode']}**, {meta['started']}, {meta['run_seconds']:.0f} s in all. "
        f"Machine: {meta['cpus']} CPUs, load average {meta['load_average_start']} at the start and "
        f"{meta['load_average_end']} at the end; Python {meta['python']}, boto3 {meta['boto3']}. "
        f"Sandbox time scale {meta['time_scale']:g} wall s per AWS s; DEPLOYER_POLL_SECONDS "
        f"{meta['deployer_poll_seconds']} (= 15 AWS s). Runs per median: "
        + ", ".join(f"{name} {count}" for name, count in meta["repeats"].items())
        + ".",
        "",
        "## Summary",
        "",
        *_table(["#", "figure", "measured (median)", "baseline (same run)", "ratio"], summary_rows(figures)),
        "",
    ]
    checks = results.get("checks", [])
    if checks:
        out += ["Checks: " + "; ".join(f"{c['name']}: {'ok' if c['ok'] else 'FAILED'}" for c in checks) + ".", ""]
    for section in (_cold, _calls, _poll, _status, _demo, _tf, _onboarding, _peer):
        out += section(figures)
    return "\n".join(out) + "\n"


def _cold(figures: dict[str, Any]) -> list[str]:
    cold = figures.get("cold_start", {})
    out = ["## 1. Cold start", ""]
    if _problem(cold) is not None:
        return [*out, str(_problem(cold)), ""]
    wt = cold["where_the_time_goes"]
    rows = [
        [r["command"], r["median_seconds"], r["min_seconds"], r["max_seconds"], r["ratio_to_import_boto3"]]
        for r in cold["rows"]
    ]
    out += _table(["command", "median s", "min s", "max s", "x import boto3"], rows)
    out += [
        "",
        f"Where `deployer plan`'s time goes: imports {wt['imports_seconds_importtime']} s (`-X importtime`); "
        f"{wt['profiled_total_seconds']} s in all under cProfile, of which:",
        "",
    ]
    out += _table(["part", "cumulative s (profiled)"], list(wt["profile_buckets_cumulative_seconds"].items()))
    out += ["", "Import self time by top-level package:", ""]
    packages = [[r["package"], r["self_seconds"]] for r in wt["imports_by_package_self_seconds"]]
    out += _table(["package", "self s"], packages)
    out += ["", "cProfile top 10 by cumulative time (module bodies and import machinery left out):", ""]
    top = [[r["function"], r["calls"], r["tottime"], r["cumtime"]] for r in wt["cprofile_top10_cumulative"]]
    out += _table(["function", "calls", "tottime s", "cumtime s"], top)
    return [*out, ""]


def _calls(figures: dict[str, Any]) -> list[str]:
    calls = figures.get("rollout_calls", {})
    out = ["## 2. Control-plane calls per rollout", ""]
    if _problem(calls) is not None:
        return [*out, str(_problem(calls)), ""]
    header = ["rollout", "SageMaker AWS s", "wait AWS s", "calls", "excl. polling", "mutating", "reads", "sts"]
    header += ["polls", "naive 5 s polls", "clients", "wall s"]
    keys = ["rollout", "sagemaker_aws_seconds", "wait_aws_seconds_measured", "calls_total", "calls_excluding_polling"]
    keys += ["of_which_mutating", "of_which_reads", "of_which_sts", "polling_describe_calls"]
    keys += ["naive_5s_polls_same_wait", "clients_created", "wall_seconds"]
    out += _table(header, [[r[k] for k in keys] for r in calls["rows"]])
    cc = calls["client_costs"]
    out += [
        "",
        "Session reuse: a fresh session plus a SageMaker client costs "
        f"{cc['fresh_session_and_sagemaker_client_ms']} ms, "
        f"a new client from a reused session {cc['new_sagemaker_client_from_reused_session_ms']} ms, one call on a "
        f"reused client {cc['one_call_on_reused_client_ms']} ms (medians of {cc['repeats']}).",
        "",
    ]
    shown = [r for r in calls["rows"] if r["rollout"] == "canary" or "deployer deploy" in r["rollout"]]
    if shown:
        out += ["Calls of one canary rollout by operation (polling included):", ""]
        operations = sorted({op for r in shown for op in r["by_operation"]})
        rows = [[op, *(r["by_operation"].get(op, 0) for r in shown)] for op in operations]
        out += _table(["operation", *(r["rollout"] for r in shown)], rows)
    if calls.get("note"):
        out += ["", calls["note"]]
    return [*out, ""]


def _poll(figures: dict[str, Any]) -> list[str]:
    poll = figures.get("polling_budget", {})
    out = ["## 3. Polling budget", ""]
    if _problem(poll) is not None:
        return [*out, str(_problem(poll)), ""]
    keys = ["sandbox_time_scale", "deployer_poll_seconds_wall", "deployer_poll_seconds_aws", "wait_aws_seconds"]
    keys += ["describe_calls", "describe_per_15_aws_seconds", "min_gap_aws_seconds", "median_gap_aws_seconds"]
    keys += ["naive_5s_describe_calls", "naive_5s_per_15_aws_seconds", "calls_saved_vs_naive", "budget_ok"]
    out += [poll["rollout"] + ".", ""]
    out += _table(["measure", "value"], [[k, poll[k]] for k in keys])
    return [*out, ""]


def _status(figures: dict[str, Any]) -> list[str]:
    status = figures.get("status_scale", {})
    out = ["## 4. Status at scale", ""]
    if _problem(status) is not None:
        return [*out, str(_problem(status)), ""]
    models = (
        f"{status['models']} models, each in {', '.join(status['stages'])}, with {status['ledger_items']} items of "
        "ledger history in one table; "
        if "models" in status
        else ""
    )
    out += [
        f"{models}{status['endpoints']} live endpoints ({status['accounts']} accounts x "
        f"{status['endpoints_per_account']}), created in {status['setup_seconds']} s. "
        f"CLI runs: {status['cli_repeats']}.",
        "",
    ]
    where = status.get("cli_where_the_time_goes")
    if where:
        out += [
            f"Where the CLI's {where['cli_wall_seconds']} s go: the CLI process used "
            f"{_or_dash(where['cli_process_cpu_seconds'])} CPU s, the sandbox server "
            f"{_or_dash(where['sandbox_server_cpu_seconds'])} CPU s ({where['note']}).",
            "",
        ]
    keys = ["variant", "workers", "median_seconds", "ms_per_endpoint", "speedup_vs_sequential", "speedup_vs_cli"]
    out += _table(
        ["variant", "workers", "median s", "ms per endpoint", "x sequential", "x CLI"],
        [[r[k] for k in keys] for r in status["rows"]],
    )
    return [*out, ""]


def _demo(figures: dict[str, Any]) -> list[str]:
    demo = figures.get("local_run", {})
    out = ["## 5. The local run (`make demo`)", ""]
    if demo.get("steps"):
        out += _table(["step", "seconds"], [[s["name"], s["seconds"]] for s in demo["steps"]])
        out += ["", f"Total {demo.get('total_seconds')} s, {demo.get('status')} ({demo.get('note', '')}).", ""]
        return out
    return [*out, str(_problem(demo)), ""]


def _tf(figures: dict[str, Any]) -> list[str]:
    tf = figures.get("terraform", {})
    out = ["## 6. Terraform", ""]
    if _problem(tf) is not None:
        return [*out, str(_problem(tf)), ""]
    header = ["env", "apply s (setup)", "no-op plan s (median)", "min-max s", "wrapper alone s", "net plan s"]
    header += ["plan -refresh=false s", "refresh s"]
    rows = [
        [
            r["env"],
            r["apply_seconds"],
            r["plan_seconds_median"],
            f"{r['plan_min_max'][0]}-{r['plan_min_max'][1]}",
            r["wrapper_seconds_median"],
            r["plan_net_seconds"],
            _or_dash(r.get("plan_no_refresh_seconds")),
            _or_dash(r.get("refresh_seconds")),
        ]
        for r in tf["rows"]
    ]
    out += _table(header, rows)
    return [*out, "", f"Apply: {tf['apply_note']}. Deployer wheel: {tf['wheel']}.", ""]


def _onboarding(figures: dict[str, Any]) -> list[str]:
    onb = figures.get("onboarding", {})
    out = ["## 8. Onboarding models", ""]
    if _problem(onb) is not None:
        return [*out, str(_problem(onb)), ""]
    out += [
        f"The models map grows from 1 to {onb['models']} models, one per step; each step applies envs/tooling, then "
        f"envs/stage ({onb['stage']}.tfvars). Model 1: {onb['setup_note']}. Only additions: "
        f"{_cell(bool(onb['only_additions']))}.",
        "",
    ]
    header = ["model", "name", "tooling s", "tooling added/changed/destroyed", f"{onb['stage']} s"]
    header += [f"{onb['stage']} added/changed/destroyed", "total s"]

    def acd(applied: dict[str, int]) -> str:
        return f"{applied['added']}/{applied['changed']}/{applied['destroyed']}"

    rows = [
        [
            s["model_number"],
            s["model"],
            s["tooling_seconds"],
            acd(s["tooling_applied"]),
            s["stage_seconds"],
            acd(s["stage_applied"]),
            s["seconds"],
        ]
        for s in onb["steps"]
    ]
    out += _table(header, rows)
    out += ["", "Resources in state at the end (`terraform state list`, data sources left out):", ""]
    res_rows = [
        [
            r["root"],
            r["models_in_state"],
            _or_dash(r["per_model_median"]),
            _or_dash(r["per_model_min_max"]),
            r["shared"],
        ]
        for r in onb["resources"].values()
    ]
    out += _table(["root", "models", "per model (median)", "per model min, max", "shared"], res_rows)
    return [*out, ""]


def _peer(figures: dict[str, Any]) -> list[str]:
    peer = figures.get("peer", {})
    out = ["## 9. A peer, side by side", ""]
    if _problem(peer) is not None:
        return [*out, str(_problem(peer)), ""]
    out += [f"v{peer['versions'][0]} live, then v{peer['versions'][1]}: {peer['fault']}.", ""]
    rows = [[path, r["says"], r["serves"], r["left"], r["record"]] for path, r in peer["rows"].items()]
    out += _table(["path", "says", "serves", "left behind / destroyed", "state / ledger says"], rows)
    verdict = "yes" if peer["deployer_ok"] else "NO: " + "; ".join(peer["deployer_problems"])
    return [*out, "", f"The deployer reports the rollback and keeps what its endpoint runs on: {verdict}.", ""]
