"""Thin argparse CLI: parse flags (with env fallbacks, see `cli_parser`), call plain functions, map errors to exit
codes."""

from __future__ import annotations

import argparse
import logging
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError

from deployer import env
from deployer.cli_output import configure_logging, emit, fail
from deployer.cli_parser import build_parser, resolve_globals
from deployer.errors import DeployerError, InputError, SmokeTestError, translated
from deployer.stops import Stopped, stops_as_interrupts

if TYPE_CHECKING:
    from deployer.config import PlatformConfig, StageConfig
    from deployer.promotion import StageRun
    from deployer.sessions import AccountSessions

# Cold start: each verb imports what it needs when it runs (boto3 with the first session; the promotion, smoke,
# status and seed units only for their verbs), so `--help` and a plan load no more than they use.
# tests/deployer/test_imports.py holds that.

log = logging.getLogger(__name__)

_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_FAILED = 0, 1, 2, 4

SessionsFactory = Callable[[str, str | None], "AccountSessions"]


def _require_stage(args: argparse.Namespace) -> str:
    if not args.stage:
        raise InputError("--stage: required (or set STAGE)")
    return str(args.stage)


def _default_sessions(stage: str, region: str | None) -> AccountSessions:
    from deployer.sessions import AccountSessions, new_base_session

    return AccountSessions(stage, new_base_session(region))


def _sessions(args: argparse.Namespace, stage: str) -> AccountSessions:
    factory: SessionsFactory = getattr(args, "sessions_factory", None) or _default_sessions
    return factory(stage, args.region)


def _check_model(args: argparse.Namespace, config: StageConfig) -> StageConfig:
    """The config, when --model (or MODEL) is not given or names the config's model; else InputError naming both."""
    wanted = getattr(args, "model", None)
    if wanted and wanted != config.model:
        raise InputError(
            f"--model: {wanted!r} is not the model of {config.source}, which deploys model {config.model!r} "
            f"(allowed: {config.model!r}, or no --model and no MODEL)"
        )
    return config


def _load_config(args: argparse.Namespace, stage: str, sessions: Callable[[], AccountSessions]) -> StageConfig:
    """The stage's config: the files, merged over the platform config in SSM when DEPLOYER_PLATFORM_CONFIG is set;
    its model must be --model's, when that is given.

    The parameter is read with the current credentials (the CodeBuild role) in its ARN's region or --region.
    """
    return _check_model(args, _read_config(args, stage, sessions))


def _read_config(args: argparse.Namespace, stage: str, sessions: Callable[[], AccountSessions]) -> StageConfig:
    from deployer.config import PLATFORM_CONFIG_ENV, fetch_platform_config, load_stage_config

    parameter = env.platform_config()
    if not parameter:
        return load_stage_config(args.config_dir, stage)
    arn_parts = parameter.split(":", 5) if parameter.startswith("arn:") else []
    region = arn_parts[3] if len(arn_parts) == 6 else args.region
    if not region:
        raise InputError(f"{PLATFORM_CONFIG_ENV}: {parameter!r} needs a region (allowed: an ARN, or set AWS_REGION)")
    account = arn_parts[4] if len(arn_parts) == 6 else ""

    def platform() -> PlatformConfig:
        ssm = sessions().client("ssm", "", region)
        return fetch_platform_config(ssm, parameter, account=account, role="current credentials")

    return load_stage_config(args.config_dir, stage, platform=platform)


def _run(args: argparse.Namespace, stage: str) -> StageRun:
    if getattr(args, "keep", 0) < 0:
        raise InputError(f"--keep: {args.keep} (allowed: integer >= 0)")
    timeout = getattr(args, "timeout", None)  # --lock-wait and --timeout are checked as they are parsed
    built: list[AccountSessions] = []

    def sessions() -> AccountSessions:
        if not built:
            built.append(_sessions(args, stage))
        return built[0]

    from deployer.promotion.wiring import open_stage_run

    config = _load_config(args, stage, sessions)
    platform = f" of platform {config.platform}" if config.platform else ""
    log.info(
        "model %s%s, stage %s: endpoint %s (%s)", config.model, platform, stage, config.endpoint.name, config.source
    )
    return open_stage_run(
        config,
        sessions(),
        keep=getattr(args, "keep", 3),
        timeout_seconds=timeout,
        lock_wait=getattr(args, "lock_wait", 0.0),
    )


def cmd_plan(args: argparse.Namespace) -> int:
    from deployer.promotion.gate import blocking_error

    stage = _require_stage(args)
    run = _run(args, stage)
    plan, lock = run.plan(pinned=args.model_version, force=args.force)
    gate = run.metric_gate(plan)
    lines = [*plan.lines(), *(gate.lines() if gate else []), lock]
    if args.preflight:
        try:  # what deploy checks before its first change, here before a human approves
            run.preflight(plan)
        except DeployerError:
            for line in lines:
                log.info(line)
            raise
    if args.exports:
        for line in lines:
            log.info(line)
        if gate is not None and gate.blocks:  # no exports: the Plan action fails and nobody is asked to approve
            raise blocking_error(stage, gate)
        facts = run.exports(plan, gate)
        emit(args, facts, [f"export {name}={shlex.quote(value)}" for name, value in facts.items()])
        return EXIT_OK
    emit(args, {**plan.as_dict(), "lock": lock, "metric_gate": gate.as_dict() if gate else None}, lines)
    if gate is not None and gate.blocks:  # the plan document says why; the exit code says a deploy would stop
        error = blocking_error(stage, gate)
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    result = _run(args, stage).deploy(pinned=args.model_version, force=args.force, config_dir=Path(args.config_dir))
    if result.outcome == "no-op":
        text = [f"already live: v{result.plan.candidate_version} on {result.plan.endpoint} ({result.plan.config_name})"]
    else:
        text = [result.message]
    text.extend(f"warning: {w}" for w in result.warnings)
    emit(args, result.as_dict(), text)
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    run = _run(args, stage)
    result = run.rollback(
        to_version=args.to_version, force=args.force, reason=args.reason, if_rejected=args.if_rejected
    )
    text = [result.message, *(f"warning: {w}" for w in result.warnings)]
    emit(args, result.as_dict(), text)
    return EXIT_OK


def cmd_unlock(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    run = _run(args, stage)
    held = run.unlock(reason=args.reason)
    if held is None:
        emit(args, {"endpoint": run.endpoint, "unlocked": False}, [f"no lock on {run.endpoint}: nothing to break"])
        return EXIT_OK
    if held.problem:
        line = f"broke the lock on {run.endpoint}, a {held.problem}: {args.reason}"
    else:
        line = (
            f"broke the lock on {run.endpoint} held by {held.owner} (build {held.build_id or '-'}, "
            f"until {held.expires_at_iso}): {args.reason}"
        )
    data = {"endpoint": run.endpoint, "unlocked": True, "previous_owner": held.owner, "build_id": held.build_id}
    emit(args, data, [line])
    return EXIT_OK


def cmd_teardown(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    run = _run(args, stage)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError(f"teardown deletes endpoint {run.endpoint}: pass --yes (no terminal to ask)")
        typed = input(f"This deletes endpoint {run.endpoint} and its configs and models. Type its name: ")
        if typed.strip() != run.endpoint:
            raise InputError(f"teardown: {typed.strip()!r} is not {run.endpoint}; nothing was deleted")
    result = run.teardown(reason=args.reason)
    emit(args, result.as_dict(), result.lines())
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    run = _run(args, stage)
    config_dir = Path(args.config_dir)
    export_dir = Path(args.config_export_dir) if args.config_export_dir else config_dir.resolve().parent
    outcome = run.test(
        config_dir,
        junit_xml=Path(args.junit_xml) if args.junit_xml else None,
        export_dir=export_dir,
        export_required=bool(args.config_export_dir),
        record=not args.no_ledger,
    )
    emit(args, outcome.as_dict(), outcome.lines())
    if not outcome.passed:
        failed = [r.name for r in outcome.report.failures]
        print(
            f"error: smoke tests failed on {run.endpoint} (v{outcome.serving.version}): {', '.join(failed)}",
            file=sys.stderr,
        )
        return SmokeTestError.exit_code
    return EXIT_OK


def cmd_promote(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    result = _run(args, stage).promote()
    emit(args, result.as_dict(), result.lines())
    return EXIT_OK


def _fleet_configs(args: argparse.Namespace) -> list[StageConfig]:
    """Every stage config under --config-dir (and one directory of them per model), filtered by --stage and
    --model; InputError when none is left, or when two files are the same stage of the same model."""
    from deployer.config import discover_fleet, load_stage_config

    found = discover_fleet(args.config_dir)
    if not found:
        raise InputError(
            f"--config-dir: no stage configs in {args.config_dir} "
            "(allowed: <stage>.json files, or one directory of them per model)"
        )
    picked = [(d, stage) for d, stage in found if not args.stage or stage == args.stage]
    configs = [load_stage_config(directory, stage) for directory, stage in picked]
    seen: dict[tuple[str, str], str] = {}
    for config in configs:
        other = seen.setdefault((config.model, config.stage), config.source)
        if other != config.source:
            raise InputError(
                f"--config-dir: {other} and {config.source} are both stage {config.stage} of model {config.model} "
                "(allowed: one config per model and stage)"
            )
    chosen = [c for c in configs if not args.model or c.model == args.model]
    if not chosen:
        wanted = " and ".join(
            f"{flag} {value}" for flag, value in (("--model", args.model), ("--stage", args.stage)) if value
        )
        # what there is: the models of the stage asked for, or the stages when no model has that stage
        what, there = ("models", {c.model for c in configs}) if configs else ("stages", {s for _, s in found})
        raise InputError(
            f"{wanted}: no stage config in {args.config_dir} matches (allowed: {what} {', '.join(sorted(there))})"
        )
    return chosen


def cmd_status(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise InputError(f"--limit: {args.limit} (allowed: integer >= 1)")
    if args.read_role_name and not _ROLE_NAME.match(args.read_role_name):
        raise InputError(f"--read-role-name: {args.read_role_name!r} (allowed: an IAM role name, [\\w+=,.@-]{{1,64}})")
    from deployer.status import matrix_lines, status_matrix, with_read_role

    shared = _sessions(args, "status")  # one session per account and role, reused by every stage
    # The platform config in SSM is one stage's: it applies to `status --stage`, files only otherwise.
    if args.stage and env.platform_config():
        configs = [_load_config(args, args.stage, lambda: shared)]
    else:
        configs = _fleet_configs(args)
    if args.read_role_name:
        configs = [with_read_role(config, args.read_role_name) for config in configs]
    matrix = status_matrix(configs, lambda stage: shared, limit=args.limit)
    emit(args, matrix, matrix_lines(matrix))
    return EXIT_OK


def cmd_ledger_migrate(args: argparse.Namespace) -> int:
    """Copy a single-model ledger's items to the keys of --model, with the current credentials."""
    if not args.model:
        raise InputError("--model: required (or set MODEL): the model the single-model installation deployed")
    if not args.region:
        raise InputError("--region: required (or set AWS_REGION): the region of the ledger table")
    from deployer.ledger.migrate import migrate_legacy

    sessions = _sessions(args, "ledger-migrate")
    account, caller = sessions.identity("", args.region)
    with translated(account, "current credentials"):
        result = migrate_legacy(
            sessions.client("dynamodb", "", args.region),
            args.table,
            args.model,
            dry_run=args.dry_run,
            caller_arn=caller,
        )
    emit(args, result.as_dict(), result.lines())
    return EXIT_OK


def cmd_seed_repo(args: argparse.Namespace) -> int:
    if not args.region:
        raise InputError("--region: required (or set AWS_REGION)")
    from deployer.seed_repo import collect_files, seed_repository
    from deployer.sessions import AccountSessions, new_base_session

    files = collect_files(args.source_dir, args.file, args.seed_file)
    sessions = AccountSessions("seed", new_base_session(args.region))
    account = sessions.account_id(args.role_arn, args.region)
    client = sessions.client("codecommit", args.role_arn, args.region)
    result = seed_repository(
        client, args.repository_name, args.branch, files, account=account, role_arn=args.role_arn, message=args.message
    )
    if result.commit_ids:
        text = [
            f"seeded {args.repository_name}/{args.branch}: {len(result.changed)} file(s), "
            f"commit {result.commit_ids[-1]}"
        ]
    else:
        text = [f"unchanged: {args.repository_name}/{args.branch} already has these {len(result.unchanged)} file(s)"]
    emit(args, result.as_dict(), text)
    return EXIT_OK


COMMANDS = {
    "plan": cmd_plan,
    "deploy": cmd_deploy,
    "test": cmd_test,
    "promote": cmd_promote,
    "rollback": cmd_rollback,
    "unlock": cmd_unlock,
    "teardown": cmd_teardown,
    "status": cmd_status,
    "ledger-migrate": cmd_ledger_migrate,
    "seed-repo": cmd_seed_repo,
}


def main(argv: Sequence[str] | None = None, *, sessions_factory: SessionsFactory | None = None) -> int:
    """Run the CLI. `sessions_factory(stage, region)` replaces how AccountSessions are built (embedding, tests)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.sessions_factory = sessions_factory
    try:
        resolve_globals(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    configure_logging(args.log_level)
    try:
        with stops_as_interrupts():
            return COMMANDS[args.verb](args)
    except DeployerError as exc:
        return fail(args, str(exc), exc.exit_code, type(exc).__name__)
    except BotoCoreError as exc:
        log.debug("AWS client error", exc_info=True)
        return fail(args, f"AWS client error: {exc}", EXIT_ERROR, type(exc).__name__)
    except Stopped as exc:
        return fail(args, str(exc), exc.exit_code, "Stopped")
    except KeyboardInterrupt:
        return fail(args, "interrupted", 130, "KeyboardInterrupt")
    except Exception as exc:  # the last line of defence: one line, a traceback only at DEBUG
        log.debug("unexpected error", exc_info=True)
        return fail(args, f"unexpected error: {type(exc).__name__}: {exc}", EXIT_ERROR, type(exc).__name__)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
