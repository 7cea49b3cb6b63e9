"""Figure 4: status over 3 accounts x 50 endpoints, sequential versus concurrent.

The 150 endpoints are created directly with boto3 (not rolled out one by one): model, endpoint config and
endpoint per name, named and tagged the way the deployer names and tags its own
(`<endpoint>-v<version>-<hash8>`, `deployer:*` tags), each model built from a real model package version in
the tooling registry. `stage_status` then finds live versions through the same DescribeEndpoint ->
DescribeEndpointConfig -> DescribeModel chain it uses for any endpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

from bench.common import PYTHON, BenchError, median, rounded, run_timed
from bench.world import DEPLOY_ROLE, deploy_role_arn, unique
from deployer.config import StageConfig, load_stage_config
from deployer.ledger import Deployment, Outcome, dynamodb_ledger
from deployer.rollout import stage_status
from deployer.sessions import AccountSessions
from sandbox.harness import ACCOUNTS, REGION, Sandbox
from sandbox.testing import create_execution_role
from tests.support.registry import create_ledger_table, group_arn, register_version, share_group
from tests.support.stage_config import StagePlan
from tests.support.target import ensure_deployer_roles

STAGES = ("dev", "staging", "prod")
POLL_SIMULATED_SECONDS = 20  # a poll per 20 s of the sandbox clock (AWS's own waiter polls every 30 s)


def _hash8(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:8]


class Fleet:
    """`models` models, each live in dev, staging and prod, with the ledger history its rollouts would leave.

    Per model: its own model package group with 2 versions (readable by the stage accounts), one stage config per
    stage in `<config-dir>/<model>/<stage>.json` (one directory per model, as `deployer status` reads them), and
    in the platform's one ledger table, per stage, what a first and a second rollout leave: `started` and
    `succeeded` for v1 and for v2, the smoke tests' passes, v1 verified (history and mark). The live endpoint runs
    the config the ledger recorded last, as after a real rollout. So the table holds about 20 items per model.
    """

    def __init__(self, box: Sandbox, config_dir: Path, models: int) -> None:
        self.box = box
        self.name = unique("fleet")
        self.models = [f"m{index:03d}" for index in range(models)]
        self.config_dir = config_dir
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.ledger_table = f"{self.name}-ledger"
        self.expected: dict[tuple[str, str], int] = {}  # (model, stage) -> live version
        self.packages: dict[str, dict[int, str]] = {}  # model -> version -> package ARN
        self.ledger_items = 0
        self._dynamodb: Any = None

    @property
    def per_account(self) -> int:
        return len(self.models)

    def group(self, model: str) -> str:
        return f"{self.name}-{model}"

    def build(self) -> float:
        """Create everything, wait until every endpoint is InService; return the wall seconds it took."""
        start = time.perf_counter()
        self._dynamodb = self.box.client("dynamodb")  # clients are thread-safe; sessions are not
        create_ledger_table(self._dynamodb, self.ledger_table)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(self._registry, self.models))
        jobs: list[Callable[[], None]] = []
        for stage in STAGES:
            sm: Any = self.box.client("sagemaker", stage)
            iam: Any = self.box.client("iam", stage)
            role = f"{self.name}-exec"
            create_execution_role(
                iam, role, artifact_bucket="fleet-artifacts", alarm_arns=[], capture_bucket=f"{self.name}-capture"
            )
            role_arn = f"arn:aws:iam::{ACCOUNTS[stage]}:role/{role}"
            ensure_deployer_roles(self.box, stage, ACCOUNTS[stage], DEPLOY_ROLE)
            for model in self.models:
                jobs.append(self._endpoint_job(sm, stage, model, role_arn))
        with ThreadPoolExecutor(max_workers=8) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()
        self._wait_in_service()
        self.ledger_items = int(self._dynamodb.scan(TableName=self.ledger_table, Select="COUNT")["Count"])
        return time.perf_counter() - start

    def _registry(self, model: str) -> None:
        sm: Any = self.box.client("sagemaker")
        group = self.group(model)
        sm.create_model_package_group(ModelPackageGroupName=group)
        reads = ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages")
        share_group(sm, group, [ACCOUNTS[s] for s in STAGES], reads)
        self.packages[model] = {}
        for _ in range(2):
            version, arn = register_version(sm, group, "s3://fleet-artifacts/model.tar.gz")
            self.packages[model][version] = arn

    def _endpoint_job(self, sm: Any, stage: str, model: str, role_arn: str) -> Callable[[], None]:
        endpoint = f"{self.name}-{model}-{stage}"
        versions = sorted(self.packages[model])
        version = versions[-1]
        package = self.packages[model][version]
        self.expected[(model, stage)] = version
        plan = StagePlan(
            project=model,
            model=model,
            platform="ml",
            stage=stage,
            account=ACCOUNTS[stage],
            group_arn=group_arn(self.group(model)),
            ledger_table=self.ledger_table,
            endpoint=endpoint,
            execution_role_arn=role_arn,
            deploy_role_arn=deploy_role_arn(ACCOUNTS[stage]),
            capture_uri=f"s3://{self.name}-capture/{model}/{stage}",
        )
        (self.config_dir / model).mkdir(exist_ok=True)
        (self.config_dir / model / f"{stage}.json").write_text(json.dumps(plan.doc(), indent=2))

        def job() -> None:
            tags = [
                {"Key": "team", "Value": "ml-platform"},
                {"Key": "deployer:model-package-arn", "Value": package},
                {"Key": "deployer:model-version", "Value": str(version)},
                {"Key": "deployer:stage", "Value": stage},
                {"Key": "deployer:project", "Value": model},
            ]
            configs = {}
            for v in versions:
                sm_model = f"{endpoint}-v{v}-{_hash8(self.packages[model][v], role_arn)}"
                configs[v] = f"{endpoint}-v{v}-{_hash8(sm_model, 'ml.m5.large', '2')}"
            sm_model = f"{endpoint}-v{version}-{_hash8(package, role_arn)}"
            sm.create_model(
                ModelName=sm_model, ExecutionRoleArn=role_arn, Containers=[{"ModelPackageName": package}], Tags=tags
            )
            sm.create_endpoint_config(
                EndpointConfigName=configs[version],
                ProductionVariants=[
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": sm_model,
                        "InstanceType": "ml.m5.large",
                        "InitialInstanceCount": 2,
                        "InitialVariantWeight": 1.0,
                    }
                ],
                Tags=tags,
            )
            sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=configs[version], Tags=tags)
            self._history(model, stage, endpoint, configs)

        return job

    def _history(self, model: str, stage: str, endpoint: str, configs: dict[int, str]) -> None:
        """What two rollouts of the stage leave in the ledger (history entries and marks, not leases)."""
        ledger = dynamodb_ledger(
            self._dynamodb, self.ledger_table, model=model, caller_arn="arn:bench", build_id="bench:1"
        )
        versions = sorted(configs)
        for index, version in enumerate(versions):
            package = self.packages[model][version]
            deployment = Deployment(stage, version, package, endpoint, configs[version], "canary")
            ledger.record_deployment(deployment, Outcome.STARTED)
            ledger.record_deployment(deployment, Outcome.SUCCEEDED)
            ledger.record_smoke_test(
                stage,
                version,
                passed=True,
                model_package_arn=package,
                endpoint=endpoint,
                endpoint_config=configs[version],
                reason="3 of 3 smoke cases passed",
            )
            if index == 0:
                ledger.record_verified(stage, version, package, endpoint=endpoint, reason="bench")

    def _wait_in_service(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        for stage in STAGES:
            sm: Any = self.box.client("sagemaker", stage)
            while True:
                names: list[str] = []
                for page in sm.get_paginator("list_endpoints").paginate(
                    NameContains=self.name, StatusEquals="InService"
                ):
                    names += [e["EndpointName"] for e in page["Endpoints"]]
                if len(names) >= self.per_account:
                    break
                if time.monotonic() > deadline:
                    raise BenchError(f"{stage}: only {len(names)} of {self.per_account} endpoints InService")
                time.sleep(POLL_SIMULATED_SECONDS * self.box.time_scale)

    def configs(self) -> list[StageConfig]:
        return [load_stage_config(self.config_dir / model, stage) for model in self.models for stage in STAGES]

    def check(self, entries: list[tuple[tuple[str, str], dict[str, Any]]]) -> None:
        """Every endpoint must be reported InService with the version it runs; `entries`: ((model, stage), entry)."""
        seen = dict(entries)
        wrong = []
        for key, version in self.expected.items():
            entry = seen.get(key, {})
            if entry.get("status") != "InService" or entry.get("live_version") != version:
                wrong.append(f"{key}: {entry.get('status')} v{entry.get('live_version')} (expected v{version})")
        if wrong:
            raise BenchError(f"status reported {len(wrong)} wrong endpoint(s): {'; '.join(wrong[:5])}")

    def check_cli(self, document: dict[str, Any]) -> None:
        """The CLI's JSON: every stage right, every model's stages in pipeline order, no errors."""
        self.check([((str(e["model"]), str(e["stage"])), e) for e in document["stages"]])
        models = {str(m["model"]): m for m in document["models"]}
        wrong = [m for m in self.models if sorted(models.get(m, {}).get("stages", [])) != sorted(STAGES)]
        errors = [f"{m['model']}: {m['errors']}" for m in document["models"] if m.get("errors")]
        errors += [f"{e['model']}/{e['stage']}: {e['errors']}" for e in document["stages"] if e.get("errors")]
        if wrong or errors:
            raise BenchError(f"status: models without their 3 stages {wrong[:5]}; errors {errors[:5]}")

    def check_in_process(self, configs: list[StageConfig], entries: list[dict[str, Any]]) -> None:
        self.check([((c.model, c.stage), e) for c, e in zip(configs, entries, strict=True)])


def _server_cpu(box: Sandbox) -> float | None:
    return process_cpu_seconds(box.proc.pid) if box.proc is not None else None


def _sessions(box: Sandbox) -> dict[str, AccountSessions]:
    """One AccountSessions per account, reused for all of that account's endpoints."""
    return {account: AccountSessions(f"status-{account}", box.base_session()) for account in ACCOUNTS.values()}


def status_no_reuse(box: Sandbox, configs: list[StageConfig]) -> tuple[float, list[dict[str, Any]]]:
    """The baseline for session reuse: a new AccountSessions (new base session, new role sessions) per endpoint."""
    start = time.perf_counter()
    entries = [stage_status(c, AccountSessions(c.stage, boto3.Session(region_name=REGION))) for c in configs]
    return time.perf_counter() - start, entries


def status_sequential(box: Sandbox, configs: list[StageConfig]) -> tuple[float, list[dict[str, Any]]]:
    start = time.perf_counter()
    sessions = _sessions(box)
    entries = [stage_status(c, sessions[c.target.account_id]) for c in configs]
    return time.perf_counter() - start, entries


def status_concurrent(box: Sandbox, configs: list[StageConfig], workers: int) -> tuple[float, list[dict[str, Any]]]:
    """Warm each account's sessions with its first endpoint (one thread per account: a boto3 Session is not
    thread-safe while it creates clients), then fan the rest out over a pool that shares the clients."""
    start = time.perf_counter()
    sessions = _sessions(box)
    first: dict[str, StageConfig] = {}
    for config in configs:
        first.setdefault(config.target.account_id, config)
    rest = [c for c in configs if first[c.target.account_id] is not c]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        warm = list(pool.map(lambda c: stage_status(c, sessions[c.target.account_id]), first.values()))
        others = list(pool.map(lambda c: stage_status(c, sessions[c.target.account_id]), rest))
    by_config = {id(c): e for c, e in zip([*first.values(), *rest], [*warm, *others], strict=True)}
    return time.perf_counter() - start, [by_config[id(c)] for c in configs]  # in the order of `configs`


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a running process (Linux /proc), or None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    box: Sandbox,
    work: Path,
    *,
    per_account: int,
    repeats: int,
    cli_repeats: int,
    workers: list[int],
) -> dict[str, Any]:
    """`per_account` models, each in the 3 stages."""
    fleet = Fleet(box, work / "fleet-config", per_account)
    setup_seconds = fleet.build()
    configs = fleet.configs()
    env = {**os.environ, **box.env}
    # as the issue asks: a subprocess of `python -m deployer`, the fleet's configs one directory per model
    cli = [PYTHON, "-m", "deployer", "--config-dir", str(fleet.config_dir), "status", "--output", "json"]

    samples: dict[str, list[float]] = {"cli": [], "no-reuse": [], "sequential": []}
    cli_cpu: list[float] = []  # CPU seconds of the CLI process (every thread)
    server_cpu: list[float] = []  # CPU seconds of the sandbox server while the CLI ran
    samples.update({f"concurrent-{w}": [] for w in workers})
    for index in range(repeats):
        if index < cli_repeats:
            server_before, cli_before = _server_cpu(box), children_cpu_seconds()
            seconds, proc = run_timed(cli, env=env, timeout=900)
            server_after, cli_after = _server_cpu(box), children_cpu_seconds()
            fleet.check_cli(json.loads(proc.stdout))
            samples["cli"].append(seconds)
            cli_cpu.append(cli_after - cli_before)
            if server_before is not None and server_after is not None:
                server_cpu.append(server_after - server_before)
        if index == 0:  # the baseline without session reuse is the slow one: once
            seconds, entries = status_no_reuse(box, configs)
            fleet.check_in_process(configs, entries)
            samples["no-reuse"].append(seconds)
        seconds, entries = status_sequential(box, configs)
        fleet.check_in_process(configs, entries)
        samples["sequential"].append(seconds)
        for w in workers:
            seconds, entries = status_concurrent(box, configs, w)
            fleet.check_in_process(configs, entries)
            samples[f"concurrent-{w}"].append(seconds)

    endpoints = len(configs)
    sequential = median(samples["sequential"])
    cli_median = median(samples["cli"])
    labels = {
        "cli": "`deployer status` CLI, one process, as shipped (also reads ledger and registry)",
        "no-reuse": "stage_status in-process, sequential, new AccountSessions per endpoint",
        "sequential": "stage_status in-process, sequential, one session per account",
    }
    rows: list[dict[str, Any]] = []
    for key, values in samples.items():
        seconds = median(values)
        workers_n: int | str = int(key.split("-")[1]) if key.startswith("concurrent-") else 1
        if key == "cli":
            workers_n = "as shipped"
        rows.append(
            {
                "key": key,
                "variant": labels.get(
                    key, f"stage_status in-process, ThreadPoolExecutor({workers_n}), one session per account"
                ),
                "workers": workers_n,
                "median_seconds": rounded(seconds),
                "ms_per_endpoint": rounded(1000 * seconds / endpoints, 1),
                "speedup_vs_sequential": rounded(sequential / seconds, 2),
                "speedup_vs_cli": rounded(cli_median / seconds, 2),
            }
        )
    best = min(rows, key=lambda r: float(r["median_seconds"]))
    return {
        "status": "ok",
        "repeats": repeats,
        "cli_repeats": min(cli_repeats, repeats),
        "accounts": len(STAGES),
        "endpoints_per_account": per_account,
        "models": len(fleet.models),
        "stages": list(STAGES),
        "ledger_items": fleet.ledger_items,
        "endpoints": endpoints,
        "setup_seconds": rounded(setup_seconds, 1),
        "rows": rows,
        "cli_where_the_time_goes": {
            "cli_wall_seconds": rounded(cli_median),
            "cli_process_cpu_seconds": rounded(median(cli_cpu)) if cli_cpu else None,
            "sandbox_server_cpu_seconds": rounded(median(server_cpu)) if server_cpu else None,
            "note": "the sandbox serves every call from one Python process; the CLI's CPU includes its imports, "
            "client creation and response parsing in all its threads",
        },
        "best": best["variant"],
        "best_speedup_vs_sequential": best["speedup_vs_sequential"],
        "best_speedup_vs_cli": best["speedup_vs_cli"],
    }
