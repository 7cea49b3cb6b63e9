"""Figure 8: onboarding models one by one on the sandbox, through scripts/tf-sandbox.sh.

The models map of envs/platform.tfvars grows by one entry per step (`m02`, `m03`, ... next to the shipped
models, in a platform file of the bench's own, `TF_SANDBOX_PLATFORM_TFVARS`), and each step applies envs/tooling,
then one stage (dev), timed apart. The first model is the one the Terraform figure applied (the shipped
platform file); when that figure did not run, the same first apply is made here (setup, not timed as a step).

Reported: per step, the apply seconds of tooling and of the stage and what each apply added, changed and
destroyed (from Terraform's `Apply complete!` line: onboarding must only add); the median seconds per added
model; the growth (the time to add the last model over the time to add the second); and the resources per
model, counted from `terraform state list` of both roots at the end (addresses under `module.model["<name>"]`),
next to what the roots share.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from bench.common import BenchError, median, rounded, run_timed
from bench.terraform import private_root, terraform_env
from sandbox.harness import Sandbox

STAGE = "dev"
_APPLIED = re.compile(r"Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed\.")
_MODEL_ADDRESS = re.compile(r'^module\.model\["([^"]+)"\]\.')


def model_name(index: int) -> str:
    """The name of the index-th model (1-based): m02, m03, ... (the first model is the shipped one)."""
    return f"m{index:02d}"


def platform_with_models(text: str, extra: list[str]) -> str:
    """The platform file `text` with one empty entry (`name = {}`) per name in `extra` added to its `models` map,
    the shipped entries kept as they are."""
    start = text.find("models = {")
    if start < 0:
        raise BenchError("platform file: no `models = {` block")
    depth = 0
    for end in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    else:
        raise BenchError("platform file: the models map is not closed")
    entries = "".join(f"  {name} = {{}}\n" for name in extra)
    return f"{text[:end]}{entries}{text[end:]}"


def applied(stdout: str) -> dict[str, int]:
    """Added, changed and destroyed, from Terraform's last `Apply complete!` line."""
    found = _APPLIED.findall(stdout)
    if not found:
        raise BenchError(f"no `Apply complete!` line in terraform's output: {stdout[-500:]}")
    added, changed, destroyed = (int(n) for n in found[-1])
    return {"added": added, "changed": changed, "destroyed": destroyed}


def count_by_model(addresses: list[str]) -> tuple[dict[str, int], int]:
    """Resources per model (addresses under `module.model["<name>"]`, data sources left out) and shared ones."""
    per_model: dict[str, int] = {}
    shared = 0
    for address in addresses:
        if ".data." in f".{address}" or address.startswith("data."):
            continue
        match = _MODEL_ADDRESS.match(address)
        if match:
            per_model[match.group(1)] = per_model.get(match.group(1), 0) + 1
        else:
            shared += 1
    return per_model, shared


def summarize(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Median seconds per added model (tooling + stage, and each) and the growth from the second model to the last."""
    if not steps:
        return {}
    totals = [float(s["seconds"]) for s in steps]
    first, last = steps[0], steps[-1]
    return {
        "median_seconds_per_added_model": rounded(median(totals), 1),
        "median_tooling_seconds": rounded(median([float(s["tooling_seconds"]) for s in steps]), 1),
        "median_stage_seconds": rounded(median([float(s["stage_seconds"]) for s in steps]), 1),
        "first_added": {"model_number": first["model_number"], "seconds": first["seconds"]},
        "last_added": {"model_number": last["model_number"], "seconds": last["seconds"]},
        "growth_last_over_first": rounded(float(last["seconds"]) / float(first["seconds"]), 2)
        if float(first["seconds"])
        else None,
        "only_additions": all(
            s[f"{root}_applied"]["changed"] == 0 and s[f"{root}_applied"]["destroyed"] == 0
            for s in steps
            for root in ("tooling", "stage")
        ),
    }


def run(box: Sandbox, work: Path, *, models: int, root: Path | None = None) -> dict[str, Any]:
    """Grow the models map to `models` models. `root`: the Terraform figure's private root, whose tooling and
    dev states already hold the shipped platform (else one is made and applied here first)."""
    if shutil.which("terraform") is None:
        return {"status": "not available: terraform is not on PATH"}
    env = terraform_env(box)
    flags = ["-no-color", "-input=false"]
    setup_seconds = None
    if root is None:
        root = private_root(work, "tf-root-onboarding")
        env["TF_SANDBOX_STATE_BUCKET"] = "tfstate-onboarding"  # never the states of a Terraform figure that failed
        setup_seconds = 0.0
        for name in ("tooling", STAGE):
            script = str(root / "scripts" / "tf-sandbox.sh")
            setup_seconds += run_timed([script, name, "apply", "-auto-approve", *flags], env=env, cwd=root)[0]
    script = str(root / "scripts" / "tf-sandbox.sh")
    shipped = (root / "envs" / "platform.tfvars").read_text()
    platform_file = work / "onboarding.tfvars"
    env["TF_SANDBOX_PLATFORM_TFVARS"] = str(platform_file)

    steps: list[dict[str, Any]] = []
    for number in range(2, models + 1):
        platform_file.write_text(platform_with_models(shipped, [model_name(i) for i in range(2, number + 1)]))
        step: dict[str, Any] = {"model_number": number, "model": model_name(number)}
        for label, name in (("tooling", "tooling"), ("stage", STAGE)):
            try:
                seconds, proc = run_timed([script, name, "apply", "-auto-approve", *flags], env=env, cwd=root)
            except BenchError as exc:  # keep the steps measured so far next to the error
                return {"status": "failed", "error": f"adding {model_name(number)}: {exc}", "steps": steps}
            step[f"{label}_seconds"] = rounded(seconds, 1)
            step[f"{label}_applied"] = applied(proc.stdout)
        step["seconds"] = rounded(step["tooling_seconds"] + step["stage_seconds"], 1)
        steps.append(step)

    resources: dict[str, Any] = {}
    for label, name in (("tooling", "tooling"), ("stage", STAGE)):
        _, proc = run_timed([script, name, "state", "list"], env=env, cwd=root, timeout=300)
        per_model, shared = count_by_model(proc.stdout.splitlines())
        counts = sorted(per_model.values())
        resources[label] = {
            "root": "envs/tooling" if name == "tooling" else f"envs/stage ({name}.tfvars)",
            "models_in_state": len(per_model),
            "per_model_median": median(counts) if counts else None,
            "per_model_min_max": [counts[0], counts[-1]] if counts else None,
            "shared": shared,
            "total": shared + sum(counts),
        }
    return {
        "status": "ok",
        "models": models,
        "stage": STAGE,
        "setup_seconds": rounded(setup_seconds, 1) if setup_seconds is not None else None,
        "setup_note": "applied by the Terraform figure (the shipped platform file)"
        if setup_seconds is None
        else f"applied here first (tooling, then the stage), {rounded(setup_seconds, 1)} s",
        "steps": steps,
        **summarize(steps),
        "resources": resources,
    }
