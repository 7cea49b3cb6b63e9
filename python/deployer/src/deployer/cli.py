"""Thin argparse CLI: parse flags (with env fallbacks), call plain functions, map errors to exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError

from deployer import __version__
from deployer.config import discover_stages, load_stage_config
from deployer.errors import DeployerError, InputError
from deployer.rollout import StageDeployer, stage_status
from deployer.seed_repo import collect_files, seed_repository
from deployer.sessions import AccountSessions

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_INPUT = 0, 1, 2

EPILOG = """exit codes:
  0  done, or nothing to change (the candidate is already live)
  1  unexpected error
  2  bad input: config file, flag, or a reference that does not exist (nothing changed)
  3  nothing to deploy: no eligible version
  4  rollout failed, timed out, or was rolled back by SageMaker
  5  access denied (the message names account, role and action)
"""


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

    plan = verb(
        "plan", "show the candidate, the live version and the action (create|update|no-op|rollback); change nothing"
    )
    plan.add_argument("--stage", default=os.environ.get("STAGE"), help="stage name (env STAGE)")
    plan.add_argument("--model-version", type=int, help="pin this version of the model package group")
    plan.add_argument("--force", action="store_true", help="allow a pinned version that is not Approved")

    deploy = verb("deploy", "roll the candidate out to the stage's endpoint, wait, verify, clean up")
    deploy.add_argument("--stage", default=os.environ.get("STAGE"), help="stage name (env STAGE)")
    deploy.add_argument("--model-version", type=int, help="pin this version (must exist and be Approved)")
    deploy.add_argument("--force", action="store_true", help="allow a pinned version that is not Approved")
    deploy.add_argument("--keep", type=int, default=3, help="endpoint configs of ours to keep besides the live one (3)")

    status = verb("status", "per stage: endpoint, status, live version, config, last deployment")
    status.add_argument("--stage", default=os.environ.get("STAGE"), help="one stage (env STAGE); default: every config")

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
    args.config_dir = args.config_dir or os.environ.get("DEPLOYER_CONFIG_DIR") or "config"
    args.region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    args.output = args.output or os.environ.get("DEPLOYER_OUTPUT") or "text"
    if args.output not in ("text", "json"):
        raise InputError(f"DEPLOYER_OUTPUT: {args.output!r} (allowed: text, json)")
    level = (args.log_level or os.environ.get("DEPLOYER_LOG_LEVEL") or "INFO").upper()
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


def _sessions(args: argparse.Namespace, stage: str) -> AccountSessions:
    return AccountSessions(stage, boto3.Session(region_name=args.region))


def cmd_plan(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    config = load_stage_config(args.config_dir, stage)
    plan = StageDeployer(config, _sessions(args, stage)).plan(pinned=args.model_version, force=args.force)
    _emit(args, plan.as_dict(), plan.lines())
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace) -> int:
    stage = _require_stage(args)
    if args.keep < 0:
        raise InputError(f"--keep: {args.keep} (allowed: integer >= 0)")
    config = load_stage_config(args.config_dir, stage)
    deployer = StageDeployer(config, _sessions(args, stage), keep=args.keep)
    result = deployer.deploy(pinned=args.model_version, force=args.force)
    if result.outcome == "no-op":
        text = [f"already live: v{result.plan.candidate_version} on {result.plan.endpoint} ({result.plan.config_name})"]
    else:
        text = [result.message]
    _emit(args, result.as_dict(), text)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    stages = [args.stage] if args.stage else discover_stages(args.config_dir)
    if not stages:
        raise InputError(f"--config-dir: no stage configs in {args.config_dir}")
    report = []
    lines = []
    for stage in stages:
        config = load_stage_config(args.config_dir, stage)
        entry = stage_status(config, _sessions(args, stage))
        report.append(entry)
        live = f"v{entry['live_version']}" if entry.get("live_version") is not None else "none"
        line = f"{stage}: endpoint={entry['endpoint']} status={entry['status']} live={live}"
        if entry.get("endpoint_config"):
            line += f" config={entry['endpoint_config']}"
        if entry.get("last_modified"):
            line += f" last_modified={entry['last_modified']}"
        if entry.get("failure_reason"):
            line += f" reason={entry['failure_reason']}"
        lines.append(line)
    _emit(args, {"stages": report}, lines)
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


COMMANDS = {"plan": cmd_plan, "deploy": cmd_deploy, "status": cmd_status, "seed-repo": cmd_seed_repo}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
