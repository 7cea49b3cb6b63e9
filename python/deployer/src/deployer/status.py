"""The versions x stages status matrix (`deployer status`): approval, live, verified, rolled back, promoted,
and each stage's endpoint. Read-only; a stage it cannot read is reported, not raised."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from deployer.config import StageConfig
from deployer.errors import DeployerError, InputError
from deployer.ledger import HistoryEntry, Ledger, MarkKind, Outcome
from deployer.naming import partition_of
from deployer.promotion.history import latest_outcome, latest_success
from deployer.promotion.wiring import stage_context
from deployer.registry import ModelVersion
from deployer.rollout import StageDeployer, stage_status
from deployer.sessions import AccountSessions

log = logging.getLogger(__name__)

STATUS_VERSION_LIMIT = 20


def _stage_view(config: StageConfig, sessions: AccountSessions) -> dict[str, Any]:
    """One stage's endpoint (or why it cannot be read) and its ledger marks; never raises for AWS errors."""
    view: dict[str, Any] = {
        "stage": config.stage,
        "endpoint": config.endpoint.name,
        "account": config.target.account_id,
    }
    errors: list[str] = []
    try:
        view.update(stage_status(config, sessions))
        view["live_source"] = "endpoint"
    except DeployerError as exc:
        errors.append(f"endpoint: {exc}")
        view.update({"status": "unknown", "live_version": None, "live_source": ""})
    context = stage_context(config, sessions)
    marks: dict[str, dict[int, str]] = {k.value: {} for k in MarkKind}
    try:
        with context.guard():
            ledger = context.ledger()
            for mark in ledger.marks(config.stage):
                marks[mark.kind][mark.version] = mark.at
            history = ledger.history(config.stage, limit=50)
        last = latest_outcome(history)
        success = latest_success(history)
        view["last_outcome"] = (
            {
                "version": last.version,
                "event": last.event,
                "result": last.result,
                "at": last.at,
                "reason": last.reason,
                "build_id": last.build_id,
                "deployer_version": last.deployer_version,
            }
            if last
            else None
        )
        if view.get("live_source") != "endpoint" and success is not None:
            view["live_version"] = success.version
            view["live_source"] = "ledger"
        with context.guard():
            view.update(_lock_and_unfinished(ledger, config.endpoint.name, history))
    except DeployerError as exc:
        errors.append(f"ledger: {exc}")
    view["marks"] = {kind: {str(v): at for v, at in sorted(m.items(), reverse=True)} for kind, m in marks.items()}
    view["errors"] = errors
    for error in errors:
        log.warning("%s: %s", config.stage, error)
    return view


def _lock_and_unfinished(ledger: Ledger, endpoint: str, history: Sequence[HistoryEntry]) -> dict[str, Any]:
    """The endpoint's lease, and every attempt that started but has no outcome (a run that died, or the one
    holding the lock now)."""
    lease = ledger.lock_holder(endpoint)
    lock = None
    if lease is not None:
        lock = {"owner": lease.owner, "build_id": lease.build_id, "expires_at": lease.expires_at_iso}
    ended = {e.deployment_id for e in history if e.result != Outcome.STARTED}
    unfinished = [
        {"version": e.version, "deployment_id": e.deployment_id, "at": e.at, "build_id": e.build_id}
        for e in history
        if e.result == Outcome.STARTED and e.deployment_id and e.deployment_id not in ended
    ]
    return {"lock": lock, "unfinished": unfinished}


def _versions(config: StageConfig, sessions: AccountSessions, limit: int) -> list[ModelVersion]:
    reader = StageDeployer(config, sessions).registry()
    found: list[ModelVersion] = []
    for version in reader.versions():
        found.append(version)
        if len(found) >= limit:
            break
    return found


def with_read_role(config: StageConfig, role_name: str) -> StageConfig:
    """The config with every account it names (registry/ledger and target) reached through `role_name` in
    that account: the operator's read-only view (say OrganizationAccountAccessRole, or a ReadOnly role),
    instead of the pipeline's roles. Only `status` uses it."""
    registry, target = config.registry, config.target
    return dataclasses.replace(
        config,
        registry=dataclasses.replace(
            registry, role_arn=f"arn:{partition_of(registry.region)}:iam::{registry.account_id}:role/{role_name}"
        ),
        target=dataclasses.replace(
            target, role_arn=f"arn:{partition_of(target.region)}:iam::{target.account_id}:role/{role_name}"
        ),
    )


def chain_order(configs: Sequence[StageConfig]) -> list[StageConfig]:
    """Stages in pipeline order (following previous_stage), then any that fit nowhere, by name."""
    by_name = {c.stage: c for c in configs}
    ordered: list[StageConfig] = []
    heads = sorted(c.stage for c in configs if c.previous_stage not in by_name)
    for head in heads:
        current: StageConfig | None = by_name[head]
        while current is not None and current not in ordered:
            ordered.append(current)
            current = next((c for c in configs if c.previous_stage == current.stage and c not in ordered), None)
    ordered.extend(c for c in sorted(configs, key=lambda c: c.stage) if c not in ordered)
    return ordered


def status_matrix(
    configs: Sequence[StageConfig], sessions_for: Callable[[str], AccountSessions], *, limit: int = STATUS_VERSION_LIMIT
) -> dict[str, Any]:
    """Versions (newest first, at most `limit`) x stages: approval, live, verified, rolled back, promoted.

    Stages are read concurrently (each is another account). A stage whose endpoint cannot be read (the
    operator's credentials may not reach it) takes its live version from the ledger's last successful outcome.
    """
    if not configs:
        raise InputError("no stage configs")
    configs = chain_order(configs)
    with ThreadPoolExecutor(max_workers=min(8, len(configs) + 1)) as pool:
        versions_future = pool.submit(_versions, configs[0], sessions_for(configs[0].stage), limit)
        views = list(pool.map(lambda c: _stage_view(c, sessions_for(c.stage)), configs))
        versions = versions_future.result()
    rows = []
    for version in versions:
        cells: dict[str, Any] = {}
        for view in views:
            marks = view["marks"]
            key = str(version.version)
            cells[view["stage"]] = {
                "live": view.get("live_version") == version.version,
                "verified_at": marks["verified"].get(key),
                "rolled_back_at": marks["rolled_back"].get(key),
                "promoted_at": marks["promoted"].get(key),
            }
        rows.append(
            {
                "version": version.version,
                "model_package_arn": version.arn,
                "approval": version.status,
                "created": version.created.isoformat() if version.created else None,
                "stages": cells,
            }
        )
    return {"stages": views, "versions": rows}


def _lock_lines(view: dict[str, Any]) -> list[str]:
    stage, lock = view["stage"], view.get("lock")
    if lock:
        lines = [f"{stage}: lock: held by {lock['owner']} (build {lock['build_id'] or '-'}) until {lock['expires_at']}"]
    else:
        lines = [f"{stage}: lock: free"] if "lock" in view else []
    for attempt in view.get("unfinished", []):
        lines.append(
            f"{stage}: unfinished: v{attempt['version']} started {attempt['at']} by build {attempt['build_id'] or '-'} "
            f"and has no outcome ({'the lock holder may still be running it' if lock else 'the run stopped'})"
        )
    return lines


def matrix_lines(matrix: dict[str, Any]) -> list[str]:
    """Per-stage endpoint lines, then a plain table: version, approval, one column per stage."""
    lines = []
    stages = [view["stage"] for view in matrix["stages"]]
    for view in matrix["stages"]:
        live = f"v{view['live_version']}" if view.get("live_version") is not None else "none"
        if view.get("live_source") == "ledger":
            live += " (from the ledger)"
        line = f"{view['stage']}: endpoint={view['endpoint']} status={view.get('status', 'unknown')} live={live}"
        if view.get("endpoint_config"):
            line += f" config={view['endpoint_config']}"
        if view.get("last_modified"):
            line += f" last_modified={view['last_modified']}"
        if view.get("failure_reason"):
            line += f" reason={view['failure_reason']}"
        last = view.get("last_outcome")
        if last:
            line += f" last={last['event']}:{last['result']}:v{last['version']}"
            line += f" by deployer {last.get('deployer_version') or 'unknown'} (build {last.get('build_id') or '-'})"
        lines.append(line)
        lines.extend(_lock_lines(view))
        lines.extend(f"{view['stage']}: unreadable: {error}" for error in view.get("errors", []))
    header = ["version", "approval", *stages]
    table = [header]
    for row in matrix["versions"]:
        cells = [f"v{row['version']}", row["approval"] or "-"]
        for stage in stages:
            cell = row["stages"][stage]
            flags = [
                name
                for name, on in (
                    ("live", cell["live"]),
                    ("verified", cell["verified_at"]),
                    ("rolled-back", cell["rolled_back_at"]),
                )
                if on
            ]
            cells.append(",".join(flags) or "-")
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines.append("")
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)
    if not matrix["versions"]:
        lines.append("(the model package group has no versions)")
    return lines
