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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

from bench.common import BIN, BenchError, median, rounded, run_timed
from bench.world import DEPLOY_ROLE, deploy_role_arn, unique
from deployer.config import StageConfig, load_stage_config
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
    """`per_account` live endpoints in each of dev, staging and prod, and one stage config per endpoint."""

    def __init__(self, box: Sandbox, config_dir: Path, per_account: int) -> None:
        self.box = box
        self.name = unique("fleet")
        self.per_account = per_account
        self.config_dir = config_dir
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.group = f"{self.name}-models"
        self.group_arn = group_arn(self.group)
        self.expected: dict[str, int] = {}  # stage config name -> live version
        self.packages: dict[int, str] = {}

    def build(self) -> float:
        """Create everything, wait until every endpoint is InService; return the wall seconds it took."""
        start = time.perf_counter()
        self._registry()
        jobs: list[Callable[[], None]] = []
        for stage in STAGES:
            sm: Any = self.box.client("sagemaker", stage)
            iam: Any = self.box.client("iam", stage)
            role = f"{self.name}-exec"
            create_execution_role(
                iam, role, artifact_bucket="fleet-artifacts", alarm_arns=[], capture_bucket=f"{self.name}-capture"
            )
            role_arn = f"arn:aws:iam::{ACCOUNTS[stage]}:role/{role}"
            for index in range(self.per_account):
                jobs.append(self._endpoint_job(sm, stage, index, role_arn))
        with ThreadPoolExecutor(max_workers=8) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()
        self._wait_in_service()
        return time.perf_counter() - start

    def _registry(self) -> None:
        sm: Any = self.box.client("sagemaker")
        sm.create_model_package_group(ModelPackageGroupName=self.group)
        reads = ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages")
        share_group(sm, self.group, [ACCOUNTS[s] for s in STAGES], reads)
        create_ledger_table(self.box.client("dynamodb"), f"{self.name}-ledger")
        for _ in range(2):
            version, arn = register_version(sm, self.group, "s3://fleet-artifacts/model.tar.gz")
            self.packages[version] = arn

    def _endpoint_job(self, sm: Any, stage: str, index: int, role_arn: str) -> Callable[[], None]:
        config_name = f"{stage}-{index:03d}"
        endpoint = f"{self.name}-{config_name}"
        version = sorted(self.packages)[index % len(self.packages)]
        package = self.packages[version]
        self.expected[config_name] = version
        plan = StagePlan(
            project="churn",
            stage=config_name,
            account=ACCOUNTS[stage],
            group_arn=self.group_arn,
            ledger_table=f"{self.name}-ledger",
            endpoint=endpoint,
            execution_role_arn=role_arn,
            deploy_role_arn=deploy_role_arn(ACCOUNTS[stage]),
            capture_uri=f"s3://{self.name}-capture/{config_name}",
        )
        (self.config_dir / f"{config_name}.json").write_text(json.dumps(plan.doc(), indent=2))
        ensure_deployer_roles(self.box, config_name, ACCOUNTS[stage], DEPLOY_ROLE)

        def job() -> None:
            model_hash = _hash8(package, role_arn)
            model = f"{endpoint}-v{version}-{model_hash}"
            config = f"{endpoint}-v{version}-{_hash8(model, 'ml.m5.large', '2')}"
            tags = [
                {"Key": "team", "Value": "ml-platform"},
                {"Key": "deployer:model-package-arn", "Value": package},
                {"Key": "deployer:model-version", "Value": str(version)},
                {"Key": "deployer:stage", "Value": config_name},
                {"Key": "deployer:project", "Value": "churn"},
            ]
            sm.create_model(
                ModelName=model, ExecutionRoleArn=role_arn, Containers=[{"ModelPackageName": package}], Tags=tags
            )
            sm.create_endpoint_config(
                EndpointConfigName=config,
                ProductionVariants=[
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": model,
                        "InstanceType": "ml.m5.large",
                        "InitialInstanceCount": 2,
                        "InitialVariantWeight": 1.0,
                    }
                ],
                Tags=tags,
            )
            sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config, Tags=tags)

        return job

    def _wait_in_service(self, timeout: float = 120.0) -> None:
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
        return [load_stage_config(self.config_dir, name) for name in sorted(self.expected)]

    def check(self, entries: list[dict[str, Any]]) -> None:
        """Every endpoint must be reported InService with the version it runs."""
        seen = {str(e["stage"]): e for e in entries}
        wrong = []
        for name, version in self.expected.items():
            entry = seen.get(name, {})
            if entry.get("status") != "InService" or entry.get("live_version") != version:
                wrong.append(f"{name}: {entry.get('status')} v{entry.get('live_version')} (expected v{version})")
        if wrong:
            raise BenchError(f"status reported {len(wrong)} wrong endpoint(s): {'; '.join(wrong[:5])}")


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
        entries = warm + list(pool.map(lambda c: stage_status(c, sessions[c.target.account_id]), rest))
    return time.perf_counter() - start, entries


def run(
    box: Sandbox, work: Path, *, per_account: int, repeats: int, cli_repeats: int, workers: list[int]
) -> dict[str, Any]:
    fleet = Fleet(box, work / "fleet-config", per_account)
    setup_seconds = fleet.build()
    configs = fleet.configs()
    env = {**os.environ, **box.env}
    cli = [str(BIN / "deployer"), "--config-dir", str(fleet.config_dir), "--output", "json", "status"]

    samples: dict[str, list[float]] = {"cli": [], "no-reuse": [], "sequential": []}
    samples.update({f"concurrent-{w}": [] for w in workers})
    for index in range(repeats):
        if index < cli_repeats:  # the baselines are the slow ones: run them fewer times
            seconds, proc = run_timed(cli, env=env, timeout=900)
            fleet.check(json.loads(proc.stdout)["stages"])
            samples["cli"].append(seconds)
            seconds, entries = status_no_reuse(box, configs)
            fleet.check(entries)
            samples["no-reuse"].append(seconds)
        seconds, entries = status_sequential(box, configs)
        fleet.check(entries)
        samples["sequential"].append(seconds)
        for w in workers:
            seconds, entries = status_concurrent(box, configs, w)
            fleet.check(entries)
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
        "endpoints": endpoints,
        "setup_seconds": rounded(setup_seconds, 1),
        "rows": rows,
        "best": best["variant"],
        "best_speedup_vs_sequential": best["speedup_vs_sequential"],
        "best_speedup_vs_cli": best["speedup_vs_cli"],
    }
