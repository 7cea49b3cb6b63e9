"""The fleet's status (`deployer status`): per model of the platform, its versions x stages matrix (approval,
live, verified, rolled back, promoted) and each stage's endpoint and lock. Read-only; a stage or a registry it
cannot read is reported, not raised."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from deployer.config import StageConfig
from deployer.errors import DeployerError, InputError
from deployer.ledger import HistoryEntry, Lease, MarkKind, Outcome
from deployer.naming import partition_of
from deployer.promotion.drift import find_drift
from deployer.promotion.gate import latest_gate
from deployer.promotion.history import is_success, latest_outcome, latest_success
from deployer.promotion.wiring import stage_context
from deployer.registry import ModelVersion
from deployer.rollout import StageDeployer, stage_status
from deployer.sessions import AccountSessions

log = logging.getLogger(__name__)

STATUS_VERSION_LIMIT = 20
# Reads are I/O: many threads, each on clients shared per (account, role), keep a fleet's status to seconds.
STATUS_WORKERS = 32
STATUS_HISTORY = 50  # newest history entries read per stage (last outcome, last success, unfinished attempts)


def _stage_view(config: StageConfig, sessions: AccountSessions) -> dict[str, Any]:
    """One stage's ledger records (marks, last outcome, unfinished attempts) and its endpoint (or why either
    cannot be read); never raises for AWS errors. The lock is read for many stages at once (`_locks`)."""
    view: dict[str, Any] = {
        "stage": config.stage,
        "endpoint": config.endpoint.name,
        "account": config.target.account_id,
    }
    marks: dict[str, dict[int, str]] = {k.value: {} for k in MarkKind}
    history: list[HistoryEntry] | None = None
    ledger_errors: list[str] = []
    context = stage_context(config, sessions)
    try:
        with context.guard():
            found, history = context.ledger().stage_records(config.stage, STATUS_HISTORY)
        for mark in found:
            marks[mark.kind][mark.version] = mark.at
    except DeployerError as exc:
        ledger_errors.append(f"ledger: {exc}")
    errors: list[str] = []
    try:
        view.update(stage_status(config, sessions, recorded=_recorded_configs(history or [])))
        view["live_source"] = "endpoint"
    except DeployerError as exc:
        errors.append(f"endpoint: {exc}")
        view.update({"status": "unknown", "live_version": None, "live_source": ""})
    view.update({"model": config.model, "platform": config.platform})
    if history is not None:
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
        view["unfinished"] = _unfinished(history)
        view["drift"] = _drift(view, history)
        view["metric_gate"] = latest_gate(history)
    view["marks"] = {kind: {str(v): at for v, at in sorted(m.items(), reverse=True)} for kind, m in marks.items()}
    view["errors"] = errors + ledger_errors
    return view


def _drift(view: dict[str, Any], history: Sequence[HistoryEntry]) -> dict[str, Any] | None:
    """The endpoint's config against the ledger's live one, when the endpoint itself was read."""
    if view.get("live_source") != "endpoint":
        return None
    found = find_drift(view["endpoint"], view.get("endpoint_config", ""), view.get("live_version"), history)
    return found.as_dict() if found else None


def _recorded_configs(history: Sequence[HistoryEntry]) -> dict[str, tuple[int, str]]:
    """Endpoint config -> (version, package ARN) of every config a successful outcome in `history` left live."""
    recorded: dict[str, tuple[int, str]] = {}
    for entry in history:
        if is_success(entry) and entry.endpoint_config and entry.version is not None and entry.model_package_arn:
            recorded.setdefault(entry.endpoint_config, (entry.version, entry.model_package_arn))
    return recorded


def _unfinished(history: Sequence[HistoryEntry]) -> list[dict[str, Any]]:
    """Every attempt that started but has no outcome (a run that died, or the one holding the lock now)."""
    ended = {e.deployment_id for e in history if e.result != Outcome.STARTED}
    return [
        {"version": e.version, "deployment_id": e.deployment_id, "at": e.at, "build_id": e.build_id}
        for e in history
        if e.result == Outcome.STARTED and e.deployment_id and e.deployment_id not in ended
    ]


def _locks(configs: Sequence[StageConfig], sessions: AccountSessions) -> dict[str, Any]:
    """The leases of the configs' endpoints (all on one ledger table, reached with one role), read together;
    endpoint -> its lock (None: free), or the error for every one of them."""
    context = stage_context(configs[0], sessions)
    endpoints = [config.endpoint.name for config in configs]
    try:
        with context.guard():
            held = context.ledger().lock_holders(endpoints)
    except DeployerError as exc:
        return {endpoint: exc for endpoint in endpoints}
    return {endpoint: _lock_view(lease) if (lease := held.get(endpoint)) else None for endpoint in endpoints}


def _lock_view(lease: Lease) -> dict[str, Any]:
    view = {"owner": lease.owner, "build_id": lease.build_id, "expires_at": lease.expires_at_iso}
    if lease.problem:  # held, but nobody can tell by whom or until when
        view.update(expires_at="", malformed=lease.problem)
    return view


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


def by_model(configs: Sequence[StageConfig]) -> dict[str, list[StageConfig]]:
    """The configs grouped by model (models by name), each model's stages in pipeline order."""
    groups: dict[str, list[StageConfig]] = {}
    for config in configs:
        groups.setdefault(config.model, []).append(config)
    return {model: chain_order(groups[model]) for model in sorted(groups)}


def _model_versions(config: StageConfig, sessions: AccountSessions, limit: int) -> tuple[list[ModelVersion], str]:
    """The model's newest versions, or none and why (its registry cannot be read)."""
    try:
        return _versions(config, sessions, limit), ""
    except DeployerError as exc:
        log.warning("%s: registry: %s", config.model, exc)
        return [], f"registry: {exc}"


def status_matrix(
    configs: Sequence[StageConfig], sessions_for: Callable[[str], AccountSessions], *, limit: int = STATUS_VERSION_LIMIT
) -> dict[str, Any]:
    """The fleet: per model, its versions (newest first, at most `limit`) x its stages: approval, live, verified,
    rolled back, promoted.

    Every stage and every model's registry is read concurrently (each stage is another account, each model
    another group). A stage whose endpoint cannot be read (the operator's credentials may not reach it) takes
    its live version from the ledger's last successful outcome. `models` lists each model (its stages in
    pipeline order); `stages` and `versions` hold every model's, grouped by model, each naming its `model`.
    """
    if not configs:
        raise InputError("no stage configs")
    groups = by_model(configs)
    ordered = [config for stages in groups.values() for config in stages]
    # The leases of every endpoint whose ledger is reached the same way are read together.
    tables: dict[tuple[str, str, str], list[StageConfig]] = {}
    for config in ordered:
        r = config.registry
        tables.setdefault((config.ledger.table_name, r.role_arn, r.region), []).append(config)
    with ThreadPoolExecutor(max_workers=min(STATUS_WORKERS, len(ordered) + len(groups) + len(tables))) as pool:
        version_futures = {
            model: pool.submit(_model_versions, stages[0], sessions_for(stages[0].stage), limit)
            for model, stages in groups.items()
        }
        lock_futures = {key: pool.submit(_locks, same, sessions_for(same[0].stage)) for key, same in tables.items()}
        view_futures = [pool.submit(_stage_view, c, sessions_for(c.stage)) for c in ordered]
        views = [future.result() for future in view_futures]
        versions = {model: future.result() for model, future in version_futures.items()}
        locks = {key: future.result() for key, future in lock_futures.items()}
    for config, view in zip(ordered, views, strict=True):
        lock = locks[config.ledger.table_name, config.registry.role_arn, config.registry.region][config.endpoint.name]
        if isinstance(lock, DeployerError):
            view["errors"].append(f"lock: {lock}")
        elif "unfinished" in view:  # the ledger was readable
            view["lock"] = lock
        for error in view["errors"]:
            log.warning("%s/%s: %s", config.model, config.stage, error)
    models, rows = [], []
    for model, stages in groups.items():
        model_views = [view for view in views if view["model"] == model]
        found, error = versions[model]
        registry = stages[0].registry
        models.append(
            {
                "model": model,
                "platform": stages[0].platform,
                "model_package_group": registry.group_arn,
                "stages": [config.stage for config in stages],
                "errors": [error] if error else [],
            }
        )
        rows.extend(_version_rows(model, found, model_views))
    return {"models": models, "stages": views, "versions": rows}


def _version_rows(
    model: str, versions: Sequence[ModelVersion], views: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
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
                "model": model,
                "version": version.version,
                "model_package_arn": version.arn,
                "approval": version.status,
                "created": version.created.isoformat() if version.created else None,
                "stages": cells,
            }
        )
    return rows


def _lock_lines(view: dict[str, Any]) -> list[str]:
    stage, lock = view["stage"], view.get("lock")
    if lock and lock.get("malformed"):
        lines = [f"{stage}: lock: held by a {lock['malformed']} (break it with `deployer unlock --reason ...`)"]
    elif lock:
        lines = [f"{stage}: lock: held by {lock['owner']} (build {lock['build_id'] or '-'}) until {lock['expires_at']}"]
    else:
        lines = [f"{stage}: lock: free"] if "lock" in view else []
    for attempt in view.get("unfinished", []):
        lines.append(
            f"{stage}: unfinished: v{attempt['version']} started {attempt['at']} by build {attempt['build_id'] or '-'} "
            f"and has no outcome ({'the lock holder may still be running it' if lock else 'the run stopped'})"
        )
    return lines


def _stage_line(view: dict[str, Any]) -> str:
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
    return line


def _table_lines(stages: Sequence[str], rows: Sequence[dict[str, Any]]) -> list[str]:
    header = ["version", "approval", *stages]
    table = [header]
    for row in rows:
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
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]


def matrix_lines(matrix: dict[str, Any]) -> list[str]:
    """Per model: a heading, its stages' endpoint and lock lines, then a plain table of version, approval and one
    column per stage."""
    lines: list[str] = []
    for entry in matrix["models"]:
        model = entry["model"]
        if lines:
            lines.append("")
        platform = f"platform {entry['platform']}, " if entry.get("platform") else ""
        lines.append(f"model {model} ({platform}registry {entry['model_package_group']}):")
        for view in (v for v in matrix["stages"] if v["model"] == model):
            lines.append(_stage_line(view))
            if view.get("drift"):
                lines.append(f"{view['stage']}: drift: {view['drift']['message']}; the next deploy converges it")
            lines.extend(f"{view['stage']}: problem: {problem}" for problem in view.get("problems", []))
            if gate := view.get("metric_gate"):
                lines.append(f"{view['stage']}: metric gate: {gate['summary']} at {gate['at']}")
            lines.extend(_lock_lines(view))
            lines.extend(f"{view['stage']}: unreadable: {error}" for error in view.get("errors", []))
        lines.extend(f"{model}: unreadable: {error}" for error in entry.get("errors", []))
        rows = [row for row in matrix["versions"] if row["model"] == model]
        lines.append("")
        lines.extend(_table_lines(entry["stages"], rows))
        if not rows and not entry.get("errors"):
            lines.append("(the model package group has no versions)")
    return lines
