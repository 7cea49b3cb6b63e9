"""Thin argparse CLI: parse flags (with env fallbacks), call plain functions, map errors to exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError

from deployer import __version__, env
from deployer.config import discover_stages, load_stage_config
from deployer.errors import DeployerError, InputError, SmokeTestError
from deployer.promotion import StageRun, matrix_lines, status_matrix, with_read_role
from deployer.seed_repo import collect_files, seed_repository
from deployer.sessions import AccountSessions

log = logging.getLogger(__name__)

_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_FAILED = 0, 1, 2, 4

EPILOG = """exit codes:
  0  done, or nothing to change (the candidate is already live)
  1  unexpected error
  2  bad input: config file, flag, or a reference that does not exist (nothing changed)
  3  nothing to deploy: no eligible version, or a downgrade refused
  4  rollout failed, timed out or was rolled back; smoke tests failed; promotion refused
  5  access denied (the message names account, role and action)
  6  the endpoint is locked by another rollout (the message names the holder and the expiry)
"""

SessionsFactory = Callable[[str, str | None], AccountSessions]


def _global_flags(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--config-dir", default=default, help="stage config directory (env DEPLOYER_CONFIG_DIR; config)"
    )
    parser.add_argument("--region", default=default, help="default AWS region (env AWS_REGION)")
    parser.add_argument(
        "--output", choices=("text", "json"), default=default, help="output format (env DEPLOYER_OUTPUT; text)"
    )
    parser.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        type=str.upper,
        default=default,
        help="log level of the plain log lines on stderr (env DEPLOYER_LOG_LEVEL; INFO)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deployer",
        description="Roll SageMaker Model Registry versions out to real-time endpoints across accounts.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_flags(parser, suppress=False)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = verbs.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _global_flags(sub, suppress=True)
        return sub

    def stage_flag(sub: argparse.ArgumentParser, help_text: str = "stage name (env STAGE)") -> None:
        sub.add_argument("--stage", default=env.stage(), help=help_text)

    def rollout_flags(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--keep", type=int, default=3, help="endpoint configs of ours to keep besides the live one (3)"
        )
        sub.add_argument(
            "--lock-wait",
            type=float,
            default=env.lock_wait_seconds(),
            metavar="SECONDS",
            help="wait this long for another rollout's lock before exit 6 (env DEPLOYER_LOCK_WAIT_SECONDS; 0)",
        )
        sub.add_argument(
            "--timeout",
            type=float,
            metavar="SECONDS",
            help="give up waiting for the endpoint after this long (default: derived from the strategy)",
        )

    plan = verb(
        "plan",
        "show the candidate and why, the live version and the action (create|update|no-op|rollback|resume|wait|"
        "refuse) and the endpoint's lock; change nothing",
    )
    stage_flag(plan)
    plan.add_argument("--model-version", type=int, help="pin this version of the model package group")
    plan.add_argument("--force", action="store_true", help="allow a pinned version that is not Approved or eligible")

    deploy = verb(
        "deploy", "lock the endpoint, roll the candidate out, wait, verify, clean up, record the outcome in the ledger"
    )
    stage_flag(deploy)
    deploy.add_argument("--model-version", type=int, help="pin this version (must exist, be Approved and eligible)")
    deploy.add_argument("--force", action="store_true", help="allow a pinned version that is not Approved or eligible")
    rollout_flags(deploy)

    test = verb(
        "test",
        "prove the endpoint serves the deployed version, run the repo's smoke tests, write JUnit XML and the "
        "SageMaker Projects config export, record the outcome",
    )
    stage_flag(test)
    test.add_argument("--junit-xml", metavar="PATH", help="write a JUnit XML report here (CodeBuild test reports)")
    test.add_argument(
        "--no-ledger",
        action="store_true",
        help="neither read nor write the ledger: prove the served version from the endpoint's tags alone and only "
        "report (for a role without registry access, such as the pipeline's test role; nothing is recorded, so "
        "such a run cannot lead to a promotion)",
    )
    test.add_argument(
        "--config-export-dir",
        metavar="DIR",
        help="write <stage>-config-export.json here (default: the repo root, the parent of --config-dir; skipped "
        "with a warning when the endpoint is not named <project>-<stage>)",
    )

    promote = verb(
        "promote",
        "record 'verified' for the tested live version, mirror it into the registry, and send the event that "
        "starts the next stage",
    )
    stage_flag(promote)

    rollback = verb(
        "rollback", "roll the stage back to --to-version, or to the newest good version older than the live one"
    )
    stage_flag(rollback)
    rollback.add_argument(
        "--to-version", type=int, help="the version to go back to (default: the newest good older one)"
    )
    rollback.add_argument(
        "--force", action="store_true", help="allow a version that is not Approved or not verified upstream"
    )
    rollback.add_argument("--reason", default="", help="why (recorded in the ledger; required with --force)")
    rollout_flags(rollback)

    status = verb("status", "versions x stages: approval, live, verified, rolled back; and each stage's endpoint")
    status.add_argument("--stage", default=env.stage(), help="one stage (env STAGE); default: every config")
    status.add_argument("--limit", type=int, default=20, help="show at most this many versions, newest first (20)")
    status.add_argument(
        "--read-role-name",
        default=env.read_role_name(),
        metavar="NAME",
        help="reach every account through role NAME in it (e.g. OrganizationAccountAccessRole) instead of the "
        "configs' roles: the operator's view (env DEPLOYER_READ_ROLE_NAME; default: the configs' roles)",
    )

    seed = verb("seed-repo", "seed a CodeCommit repository with files; no commit when nothing changed")
    seed.add_argument("--repository-name", required=True)
    seed.add_argument("--branch", default="main")
    seed.add_argument("--source-dir", help="directory whose files are seeded (relative paths kept)")
    seed.add_argument(
        "--file", action="append", default=[], metavar="REPO_PATH=LOCAL_FILE", help="extra file; repeatable"
    )
    seed.add_argument("--role-arn", default="", help="role to assume for CodeCommit (default: current credentials)")
    seed.add_argument("--message", default="Seed from Terraform (mlops-deployer seed-repo)")
    return parser


def _resolve_globals(args: argparse.Namespace) -> None:
    args.config_dir = args.config_dir or env.config_dir()
    args.region = args.region or env.region()
    args.output = args.output or env.output()
    if args.output not in ("text", "json"):
        raise InputError(f"DEPLOYER_OUTPUT: {args.output!r} (allowed: text, json)")
    level = (args.log_level or env.log_level()).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise InputError(f"DEPLOYER_LOG_LEVEL: {level!r} (allowed: DEBUG, INFO, WARNING, ERROR)")
    args.log_level = level


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of each record (it may be replaced after setup)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _configure_logging(level: str) -> None:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger("deployer")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _emit(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    if args.output == "json":
        print(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        for line in lines:
            print(line)


def _require_stage(args: argparse.Namespace) -> str:
    if not args.stage:
        raise InputError("--stage: required (or set STAGE)")
    return str(args.stage)


def _default_sessions(stage: str, region: str | None) -> AccountSessions:
    return AccountSessions(stage, boto3.Session(region_name=region))


def _sessions(args: argparse.Namespace, stage: str) -> AccountSessions:
    factory: SessionsFactory = getattr(args, "sessions_factory", None) or _default_sessions
    return factory(stage, args.region)


def _run(args: argparse.Namespace, stage: str) -> StageRun:
    if getattr(args, "keep", 0) < 0:
        raise InputError(f"--keep: {args.keep} (allowed: integer >= 0)")
    if getattr(args, "lock_wait", 0.0) < 0:
        raise InputError(f"--lock-wait: {args.lock_wait} (allowed: seconds >= 0)")
    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout <= 0:
        raise InputError(f"--timeout: {timeout} (allowed: seconds > 0)")
    config = load_stage_config(args.config_dir, stage)
    return StageRun(
        config,
        _sessions(args, stage),
        keep=getattr(args, "keep", 3),
        timeout_seconds=timeout,
        lock_wait=getattr(args, "lock_wait", 0.0),
    )


def cmd_plan(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    plan, lock = _run(args, stage).plan(pinned=args.model_version, force=args.force)
    _emit(args, {**plan.as_dict(), "lock": lock}, [*plan.lines(), lock])
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    result = _run(args, stage).deploy(pinned=args.model_version, force=args.force)
    if result.outcome == "no-op":
        text = [f"already live: v{result.plan.candidate_version} on {result.plan.endpoint} ({result.plan.config_name})"]
    else:
        text = [result.message]
    text.extend(f"warning: {w}" for w in result.warnings)
    _emit(args, result.as_dict(), text)
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    result = _run(args, stage).rollback(to_version=args.to_version, force=args.force, reason=args.reason)
    text = [result.message, *(f"warning: {w}" for w in result.warnings)]
    _emit(args, result.as_dict(), text)
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
    _emit(args, outcome.as_dict(), outcome.lines())
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
    _emit(args, result.as_dict(), result.lines())
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    stages = [args.stage] if args.stage else discover_stages(args.config_dir)
    if not stages:
        raise InputError(f"--config-dir: no stage configs in {args.config_dir}")
    if args.limit < 1:
        raise InputError(f"--limit: {args.limit} (allowed: integer >= 1)")
    configs = [load_stage_config(args.config_dir, stage) for stage in stages]
    if args.read_role_name:
        if not _ROLE_NAME.match(args.read_role_name):
            raise InputError(
                f"--read-role-name: {args.read_role_name!r} (allowed: an IAM role name, [\\w+=,.@-]{{1,64}})"
            )
        configs = [with_read_role(config, args.read_role_name) for config in configs]
    shared = _sessions(args, "status")  # one session per account and role, reused by every stage
    matrix = status_matrix(configs, lambda stage: shared, limit=args.limit)
    _emit(args, matrix, matrix_lines(matrix))
    return EXIT_OK


def cmd_seed_repo(args: argparse.Namespace) -> int:
    if not args.region:
        raise InputError("--region: required (or set AWS_REGION)")
    files = collect_files(args.source_dir, args.file)
    sessions = AccountSessions("seed", boto3.Session(region_name=args.region))
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
    _emit(args, result.as_dict(), text)
    return EXIT_OK


COMMANDS = {
    "plan": cmd_plan,
    "deploy": cmd_deploy,
    "test": cmd_test,
    "promote": cmd_promote,
    "rollback": cmd_rollback,
    "status": cmd_status,
    "seed-repo": cmd_seed_repo,
}


def main(argv: Sequence[str] | None = None, *, sessions_factory: SessionsFactory | None = None) -> int:
    """Run the CLI. `sessions_factory(stage, region)` replaces how AccountSessions are built (embedding, tests)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.sessions_factory = sessions_factory
    try:
        _resolve_globals(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    _configure_logging(args.log_level)
    try:
        return COMMANDS[args.verb](args)
    except DeployerError as exc:
        return _fail(args, str(exc), exc.exit_code, type(exc).__name__)
    except BotoCoreError as exc:
        log.debug("AWS client error", exc_info=True)
        return _fail(args, f"AWS client error: {exc}", EXIT_ERROR, type(exc).__name__)
    except KeyboardInterrupt:
        return _fail(args, "interrupted", 130, "KeyboardInterrupt")
    except Exception as exc:  # the last line of defence: one line, a traceback only at DEBUG
        log.debug("unexpected error", exc_info=True)
        return _fail(args, f"unexpected error: {type(exc).__name__}: {exc}", EXIT_ERROR, type(exc).__name__)


def _fail(args: argparse.Namespace, message: str, code: int, kind: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    if args.output == "json":
        print(json.dumps({"error": message, "kind": kind, "exit_code": code}, indent=2))
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
