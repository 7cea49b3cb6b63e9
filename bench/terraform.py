"""Figure 6: no-op `terraform plan` of envs/tooling and of envs/stage per stage on the sandbox, through
scripts/tf-sandbox.sh.

The env roots, modules, seed and scripts are copied into a private root under the bench's work dir, so the
wrapper's data dirs (`<root>/.build/tf-sandbox/<env>`) never collide with a `make demo` or a Terraform test
running in the checkout at the same time. Providers come from the checkout's CLI config (offline mirror) and
its shared plugin cache.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, median, rounded, run_timed
from sandbox.harness import Sandbox

ENVS = ("tooling", "dev", "staging", "prod")
_IGNORE = shutil.ignore_patterns(".terraform", ".terraform-*", "*.tfstate", "*.tfstate.*", "__pycache__")


def private_root(work: Path, name: str = "tf-root") -> Path:
    root = work / name
    for sub in ("envs", "modules", "seed"):
        shutil.copytree(REPO / sub, root / sub, ignore=_IGNORE)
    (root / "scripts").mkdir(parents=True)
    for script in ("tf-sandbox.sh", "terraformrc.sh"):
        shutil.copy2(REPO / "scripts" / script, root / "scripts" / script)
    return root


def terraform_env(box: Sandbox) -> dict[str, str]:
    env = {
        **os.environ,
        **box.env,
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "SANDBOX_PYTHON": PYTHON,
        "TF_VAR_seed_python": PYTHON,
    }
    rc = REPO / ".build" / "terraformrc"
    if rc.is_file():
        env["TF_CLI_CONFIG_FILE"] = str(rc)
    else:
        env.pop("TF_CLI_CONFIG_FILE", None)  # the wrapper writes one from the mirror it finds
    cache = REPO / ".build" / "tf-plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    env["TF_PLUGIN_CACHE_DIR"] = str(cache)
    return env


def run(
    box: Sandbox,
    work: Path,
    *,
    envs: tuple[str, ...],
    repeats: int,
    split_refresh: bool = True,
    root: Path | None = None,
) -> dict[str, Any]:
    """`root`: a private root made by `private_root` (the onboarding figure goes on from its states)."""
    if shutil.which("terraform") is None:
        return {"status": "not available: terraform is not on PATH"}
    root = root or private_root(work)
    script = str(root / "scripts" / "tf-sandbox.sh")
    env = terraform_env(box)
    flags = ["-no-color", "-input=false"]
    applies: dict[str, float] = {}

    def apply(name: str) -> None:
        applies[name] = run_timed([script, name, "apply", "-auto-approve", *flags], env=env, cwd=root, timeout=1800)[0]

    # Setup, not a figure: tooling first (the stages point at its registry and ledger), then the stage roots
    # side by side (separate states and data dirs), as `make demo` does.
    first, rest = [e for e in envs if e == "tooling"], [e for e in envs if e != "tooling"]
    for name in first:
        apply(name)
    with ThreadPoolExecutor(max_workers=max(1, len(rest))) as pool:
        for future in [pool.submit(apply, name) for name in rest]:
            future.result()
    plans: dict[str, list[float]] = {name: [] for name in envs}
    wrapper: dict[str, list[float]] = {name: [] for name in envs}
    no_refresh: dict[str, list[float]] = {name: [] for name in envs}
    for index in range(repeats):
        for name in envs:
            # exit 0 = no changes; 2 would mean drift, which makes run_timed raise (something is broken)
            seconds, _ = run_timed([script, name, "plan", "-detailed-exitcode", *flags], env=env, cwd=root, timeout=900)
            plans[name].append(seconds)
            # Where the time goes: the same plan without refresh (every repeat, so both are medians), and the
            # wrapper alone (state bucket check, init), which is steady: once per env.
            if split_refresh:
                cmd = [script, name, "plan", "-refresh=false", "-detailed-exitcode", *flags]
                seconds, _ = run_timed(cmd, env=env, cwd=root, timeout=900)
                no_refresh[name].append(seconds)
            if index == 0:
                seconds, _ = run_timed([script, name, "version"], env=env, cwd=root, timeout=300)
                wrapper[name].append(seconds)
    rows: list[dict[str, Any]] = []
    for name in envs:
        plan, overhead = median(plans[name]), median(wrapper[name])
        rows.append(
            {
                "env": name,
                "apply_seconds": rounded(applies[name], 1),
                "plan_seconds_median": rounded(plan, 2),
                "wrapper_seconds_median": rounded(overhead, 2),
                "plan_net_seconds": rounded(plan - overhead, 2),
                "plan_no_refresh_seconds": rounded(median(no_refresh[name]), 2) if split_refresh else None,
                "refresh_seconds": rounded(plan - median(no_refresh[name]), 2) if split_refresh else None,
                "plan_min_max": [rounded(min(plans[name]), 2), rounded(max(plans[name]), 2)],
            }
        )
    return {
        "status": "ok",
        "repeats": repeats,
        "envs": list(envs),
        "apply_note": "setup: tooling alone, then the stage roots in parallel (their apply times overlap)",
        "wheel": os.environ.get("DEPLOYER_WHEEL", "") or "none (DEPLOYER_WHEEL unset: the stage roots upload no wheel)",
        "rows": rows,
        "total_plan_seconds_median": rounded(sum(float(r["plan_seconds_median"]) for r in rows), 1),
    }
