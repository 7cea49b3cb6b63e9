"""Figure 9: a peer, side by side. The same rolled-back update through Terraform's own `aws_sagemaker_endpoint`
(hashicorp/aws 5.100.0, bench/peer/main.tf) and through `deployer deploy`, and what each says and leaves behind.

One sandbox, one registry: v1 is healthy, v2 carries `SANDBOX_FAULT=fail-create` in its package's container, so
SageMaker accepts the blue/green update, the new fleet never passes its health check, and the endpoint goes back
to InService on the old config with `FailureReason` set, as AWS does. Terraform's waiter (Creating, Updating,
SystemUpdating -> InService) takes that InService for success and reads the old config name back; with
`create_before_destroy` it then destroys the v1 config and model the endpoint still runs on
(terraform-provider-aws issue 48997). The deployer must say "rolled back" (exit 4) and keep what its endpoint
runs on. Only the deployer's side can fail the bench.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, BenchError
from bench.terraform import terraform_env
from bench.world import World
from deployer import cli
from deployer.ledger import dynamodb_ledger
from deployer.sessions import AccountSessions
from sandbox.harness import Sandbox
from tests.support.registry import MODEL_KEY, register_version

PEER_ROOT = REPO / "bench" / "peer"
FAULT = "fail-create"
ROW = "34,12,79.5,1,0"  # one row of the sample churn model
TAIL_LINES = 3
TERRAFORM = "Terraform `aws_sagemaker_endpoint` (hashicorp/aws 5.100.0)"
DEPLOYER = "`deployer deploy`"


# ----------------------------------------------------------------------------- what an endpoint serves, what exists


def _missing(exc: Exception) -> bool:
    return "Could not find" in str(exc)


def observe(
    box: Sandbox, account: str, endpoint: str, prefix: str, before: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What `endpoint` serves (its config, that config's model, an answer's model version) and which configs and
    models named `prefix*` exist. `before`: an earlier observation, which names the model of a config since
    deleted."""
    sm = box.client("sagemaker", account)
    desc = sm.describe_endpoint(EndpointName=endpoint)
    config = str(desc["EndpointConfigName"])
    seen: dict[str, Any] = {
        "status": desc["EndpointStatus"],
        "config": config,
        "failure_reason": desc.get("FailureReason", ""),
    }
    try:
        variants = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"]
        seen["config_exists"] = True
        seen["model"] = str(variants[0]["ModelName"])
    except sm.exceptions.ClientError as exc:
        if not _missing(exc):
            raise
        seen["config_exists"] = False
        seen["model"] = before["model"] if before and before["config"] == config else ""
    if seen["model"]:
        try:
            sm.describe_model(ModelName=seen["model"])
            seen["model_exists"] = True
        except sm.exceptions.ClientError as exc:
            if not _missing(exc):
                raise
            seen["model_exists"] = False
    else:
        seen["model_exists"] = False
    runtime = box.client("sagemaker-runtime", account)
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=ROW.encode(), ContentType="text/csv")
    attributes = dict(part.split("=", 1) for part in str(answer.get("CustomAttributes", "")).split(";") if "=" in part)
    seen["serves_version"] = attributes.get("model_version", "?")
    configs = sm.list_endpoint_configs(NameContains=prefix, MaxResults=100)["EndpointConfigs"]
    models = sm.list_models(NameContains=prefix, MaxResults=100)["Models"]
    seen["configs"] = sorted(str(c["EndpointConfigName"]) for c in configs)
    seen["models"] = sorted(str(m["ModelName"]) for m in models)
    return seen


# ----------------------------------------------------------------------------- the peer: Terraform


def _tail(text: str, lines: int = TAIL_LINES) -> list[str]:
    kept = [line.strip() for line in text.splitlines() if line.strip() and not set(line.strip()) <= set("│╵╷─")]
    return [line.lstrip("│ ").strip() for line in kept[-lines:]]


APPLY_SAYS = ("Apply complete!", "Error:")
PLAN_SAYS = ("Plan:", "No changes.", "Error:")


def verdict(text: str, starts: tuple[str, ...] = APPLY_SAYS) -> list[str]:
    """What Terraform says at the end of an apply (or a plan): its summary line and any `Error:` lines, else its
    last lines."""
    lines = [line.lstrip("│ ").strip() for line in text.splitlines()]
    said = [line for line in lines if line.startswith(starts)]
    return said[-TAIL_LINES:] or _tail(text)


class PeerRoot:
    """bench/peer/main.tf copied into the work dir, driven with the bench's Terraform environment."""

    def __init__(self, box: Sandbox, work: Path, variables: dict[str, Any], packages: dict[int, str]) -> None:
        self.dir = work / "peer-root"
        self.dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PEER_ROOT / "main.tf", self.dir / "main.tf")
        self.env = terraform_env(box)
        self.variables = variables
        self.packages = packages

    def run(self, *args: str, version: int | None = None, timeout: float = 900) -> tuple[int, str, float]:
        cmd = ["terraform", *args, "-no-color"]
        if version is not None:
            values = {**self.variables, "model_version": version, "model_package_arn": self.packages[version]}
            cmd += [f"-var={k}={json.dumps(v) if isinstance(v, list) else v}" for k, v in values.items()]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=timeout)
        return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - start

    def state_config(self) -> tuple[str, list[str]]:
        """The endpoint's endpoint_config_name in state, and the configs and models the state holds."""
        code, out, _ = self.run("show", "-json")
        if code != 0:
            return f"terraform show exited {code}", []
        shown = json.loads(out[out.index("{") :])
        resources = shown.get("values", {}).get("root_module", {}).get("resources", [])
        endpoint: dict[str, Any] = next((r["values"] for r in resources if r["type"] == "aws_sagemaker_endpoint"), {})
        held = sorted(
            f"{r['type'].removeprefix('aws_sagemaker_')} {r['values'].get('name')}"
            for r in resources
            if r["type"] in ("aws_sagemaker_model", "aws_sagemaker_endpoint_configuration")
        )
        return str(endpoint.get("endpoint_config_name", "")), held


def peer_path(box: Sandbox, work: Path, world: World, versions: dict[int, str]) -> dict[str, Any]:
    if shutil.which("terraform") is None:
        return {"status": "not available: terraform is not on PATH"}
    if not (REPO / ".build" / "terraformrc").is_file():  # without the offline mirror, init would go to the registry
        return {"status": "not available: .build/terraformrc (the provider mirror) is missing: make .build/terraformrc"}
    endpoint = f"{world.name}-peer"
    root = PeerRoot(
        box,
        work,
        {
            "endpoint": box.url,
            "account_id": world.account,
            "name": endpoint,
            "execution_role_arn": world.execution_role_arn,
            "alarms": world.alarms,
        },
        versions,
    )
    code, out, _ = root.run("init", "-input=false")
    if code != 0:
        return {"status": f"could not run: terraform init exited {code}", "tail": _tail(out)}
    first, second = sorted(versions)
    code, out, seconds = root.run("apply", "-auto-approve", "-input=false", version=first)
    if code != 0:
        return {"status": f"could not run: terraform apply of v{first} exited {code}", "tail": _tail(out)}
    before = observe(box, world.account, endpoint, endpoint)
    code, out, seconds = root.run("apply", "-auto-approve", "-input=false", version=second)
    result: dict[str, Any] = {
        "status": "ran",
        "endpoint": endpoint,
        "exit_code": code,
        "says": verdict(out),
        "apply_seconds": round(seconds, 1),
        "before": before,
        "seen": observe(box, world.account, endpoint, endpoint, before),
    }
    state_config, held = root.state_config()
    plan_code, plan_out, _ = root.run("plan", "-detailed-exitcode", "-input=false", version=second)
    result["state"] = {
        "endpoint_config_name": state_config,
        "holds": held,
        "next_plan_exit_code": plan_code,
        "next_plan_says": verdict(plan_out, PLAN_SAYS)[-1:],
    }
    return result


# ----------------------------------------------------------------------------- the deployer


def _deploy(box: Sandbox, world: World) -> tuple[int, dict[str, Any], str]:
    """`deployer deploy` in-process, as CodeBuild runs it: (exit code, JSON answer, last `error:` line)."""

    def factory(stage: str, region: str | None) -> AccountSessions:
        return AccountSessions(stage, box.base_session(), build_id="bench:peer")

    argv = ["--config-dir", str(world.config_dir), "--output", "json", "--log-level", "WARNING"]
    argv += ["deploy", "--stage", world.stage]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv, sessions_factory=factory)
    try:
        answer = json.loads(out.getvalue() or "{}")
    except json.JSONDecodeError:
        answer = {}
    errors = [line for line in err.getvalue().splitlines() if line.startswith("error:")]
    return code, answer if isinstance(answer, dict) else {}, errors[-1] if errors else ""


def deployer_path(box: Sandbox, world: World, second: int) -> dict[str, Any]:
    before = observe(box, world.account, world.endpoint, world.endpoint)
    code, answer, error = _deploy(box, world)
    ledger = dynamodb_ledger(world.dynamodb, world.ledger_table, model=str(world.config_doc()["model"]))
    entries = ledger.history(world.stage, limit=None)  # newest first
    last = next((e for e in entries if e.event in ("deployment", "rollback")), None)
    return {
        "status": "ran",
        "endpoint": world.endpoint,
        "exit_code": code,
        "says": [error] if error else [f"outcome {answer.get('outcome', '?')}"],
        "before": before,
        "seen": observe(box, world.account, world.endpoint, world.endpoint, before),
        "ledger": {
            "event": last.event if last else "",
            "result": last.result if last else "",
            "version": last.version if last else None,
            "reason": (last.reason or "")[:200] if last else "",
        },
        "deployed_version_expected_after": second,
    }


# ----------------------------------------------------------------------------- the figure


def deployer_problems(side: dict[str, Any]) -> list[str]:
    """What is wrong with the deployer's side (empty: it reported the rollback and kept what it runs on)."""
    if side.get("status") != "ran":
        return [f"the deployer path did not run: {side.get('status')}"]
    problems = []
    if side["exit_code"] == 0:
        problems.append("deployer deploy exited 0 on a rolled-back update")
    seen = side["seen"]
    if not seen["config_exists"]:
        problems.append(f"the endpoint runs on a config that no longer exists ({seen['config']})")
    if not seen["model_exists"]:
        problems.append(f"the endpoint's model no longer exists ({seen['model']})")
    if side["ledger"]["result"] == "succeeded":
        problems.append("the ledger records the rolled-back update as succeeded")
    return problems


def summarize(side: dict[str, Any]) -> dict[str, str]:
    """One table row: says (exit code + message), serves, left behind / destroyed, state or ledger says."""
    if side.get("status") != "ran":
        return {"says": str(side.get("status", "missing")), "serves": "-", "left": "-", "record": "-"}
    seen = side["seen"]
    says = f"exit {side['exit_code']}: " + " / ".join(side["says"])
    serves = f"v{seen['serves_version']}, {seen['status']}, on config {seen['config']}"
    if seen.get("failure_reason"):
        serves += " (FailureReason set)"
    in_use = {seen["config"], seen["model"]}
    extra = [f"config {c}" for c in seen["configs"] if c not in in_use]
    extra += [f"model {m}" for m in seen["models"] if m not in in_use]
    gone = [] if seen["config_exists"] else [f"config {seen['config']} (in use)"]
    if not seen["model_exists"]:
        gone.append(f"model {seen['model'] or '(unknown)'} (in use)")
    left = f"left: {', '.join(extra) or 'nothing else'}; destroyed: {', '.join(gone) or 'nothing in use'}"
    if "state" in side:
        state = side["state"]
        record = (
            f"state: endpoint_config_name {state['endpoint_config_name']}, holds {', '.join(state['holds'])}; "
            f"next plan exit {state['next_plan_exit_code']}" + "".join(f" ({x})" for x in state["next_plan_says"])
        )
    else:
        ledger = side["ledger"]
        record = f"ledger: {ledger['event']} v{ledger['version']} {ledger['result']}"
    return {"says": says, "serves": serves, "left": left, "record": record, "short": short(side)}


def short(side: dict[str, Any]) -> str:
    """One line for the summary table: exit code, the version served, whether what it runs on still exists."""
    seen = side["seen"]
    gone = [kind for kind, exists in (("config", seen["config_exists"]), ("model", seen["model_exists"])) if not exists]
    runs_on = f"its {' and '.join(gone)} DESTROYED" if gone else "its config and model kept"
    record = (
        f"ledger {side['ledger']['result']}"
        if "ledger" in side
        else f"state names {side['state']['endpoint_config_name']}"
    )
    return f"exit {side['exit_code']}; serves v{seen['serves_version']}, {runs_on}; {record}"


def run(box: Sandbox, work: Path) -> dict[str, Any]:
    world = World(box, work / "peer-world" / "config", prefix="peer")
    url = f"s3://{world.bucket}/{MODEL_KEY}"
    first, arn1 = register_version(world.tooling_sm, world.group, url, description="peer v1")
    world.write_config({"strategy": "canary"})
    code, _, error = _deploy(box, world)
    if code != 0:
        raise BenchError(f"deployer deploy of v{first} exited {code}: {error}")
    second, arn2 = register_version(
        world.tooling_sm, world.group, url, description="peer v2", environment={"SANDBOX_FAULT": FAULT}
    )
    versions = {first: arn1, second: arn2}
    peer = peer_path(box, work, world, versions)  # v1 applied, then v2
    deployer = deployer_path(box, world, second)
    problems = deployer_problems(deployer)
    return {
        "status": "ok",
        "fault": f"v{second}'s package container has SANDBOX_FAULT={FAULT}: the green fleet never passes its "
        "health check; SageMaker rolls the update back (endpoint InService on the old config, FailureReason set)",
        "versions": [first, second],
        "terraform": peer,
        "deployer": deployer,
        "rows": {
            TERRAFORM: summarize(peer),
            DEPLOYER: summarize(deployer),
        },
        "deployer_ok": not problems,
        "deployer_problems": problems,
    }
