"""The CLI's argument parser: verbs, flags with their environment fallbacks, and the resolution of the global
flags after parsing. `deployer.cli` runs what it parses."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from deployer import __version__, env
from deployer.errors import InputError

if TYPE_CHECKING:  # generic to the type checker only
    from argparse import _SubParsersAction

    Verbs = _SubParsersAction[argparse.ArgumentParser]

EPILOG = """exit codes:
  0  done, or nothing to change (the candidate is already live)
  1  unexpected error
  2  bad input: config file, flag, or a reference that does not exist (nothing changed)
  3  nothing to deploy: no eligible version, or a downgrade refused
  4  rollout failed, timed out or was rolled back; smoke tests failed; promotion refused
  5  access denied (the message names account, role and action)
  6  the endpoint is locked by another rollout (the message names the holder and the expiry)
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
    _plan_and_deploy(verbs)
    _test_and_promote(verbs)
    _rollback(verbs)
    _unlock(verbs)
    _teardown(verbs)
    _status(verbs)
    _ledger_migrate(verbs)
    _seed_repo(verbs)
    return parser


def _verb(verbs: Verbs, name: str, help_text: str) -> argparse.ArgumentParser:
    sub = verbs.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_flags(sub, suppress=True)
    return sub


def _stage_flag(sub: argparse.ArgumentParser, help_text: str = "stage name (env STAGE)") -> None:
    sub.add_argument("--stage", default=env.stage(), help=help_text)
    _model_flag(sub)


MODEL_HELP = (
    "the model of the platform this acts on (env MODEL); the stage config names its model (or its project, in an "
    "older config): a different one is refused"
)


def _model_flag(sub: argparse.ArgumentParser, help_text: str = MODEL_HELP, *, required: bool = False) -> None:
    # The env fallback is read after parsing (resolve_globals), so that a bad value names MODEL, not --model.
    sub.add_argument("--model", metavar="MODEL", help=help_text + (" (required)" if required else ""))


def _rollout_flags(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--keep", type=int, default=3, help="endpoint configs of ours to keep besides the live one (3)")
    # The env fallback is read after parsing (resolve_globals), where a bad value is an exit 2, not a traceback.
    sub.add_argument(
        "--lock-wait",
        type=_number(env.LOCK_WAIT),
        metavar="SECONDS",
        help="wait this long for another rollout's lock before exit 6 (env DEPLOYER_LOCK_WAIT_SECONDS; 0)",
    )
    sub.add_argument(
        "--timeout",
        type=_number(env.TIMEOUT),
        metavar="SECONDS",
        help="give up waiting for the endpoint after this long (default: derived from the strategy)",
    )


def _number(bound: env.Bound) -> Callable[[str], float]:
    """An argparse type: a bad value is argparse's exit 2, naming the flag and what is allowed."""

    def parse(raw: str) -> float:
        try:
            return bound.parse(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{exc} (allowed: {bound.allowed})") from None

    return parse


def _plan_and_deploy(verbs: Verbs) -> None:
    plan = _verb(
        verbs,
        "plan",
        "show the candidate and why, the live version and the action (create|update|no-op|rollback|resume|wait|"
        "refuse) and the endpoint's lock; change nothing",
    )
    _stage_flag(plan)
    plan.add_argument("--model-version", type=int, help="pin this version of the model package group")
    plan.add_argument("--force", action="store_true", help="allow a pinned version that is not Approved or eligible")
    plan.add_argument(
        "--exports",
        action="store_true",
        help="print only `export DEPLOYER_*=...` lines (candidate, package, who verified it upstream, action) "
        "for a buildspec to eval and export to CodePipeline; the plan goes to the log",
    )
    plan.add_argument(
        "--preflight",
        action="store_true",
        help="also run deploy's preflight (instance type, artifacts, keys, role, alarms): a Plan action before a "
        "manual approval fails there, not after the approval",
    )

    deploy = _verb(
        verbs,
        "deploy",
        "lock the endpoint, roll the candidate out, wait, verify, clean up, record the outcome in the ledger",
    )
    _stage_flag(deploy)
    deploy.add_argument("--model-version", type=int, help="pin this version (must exist, be Approved and eligible)")
    deploy.add_argument("--force", action="store_true", help="allow a pinned version that is not Approved or eligible")
    _rollout_flags(deploy)


def _test_and_promote(verbs: Verbs) -> None:
    test = _verb(
        verbs,
        "test",
        "prove the endpoint serves the deployed version, run the repo's smoke tests, write JUnit XML and the "
        "SageMaker Projects config export, record the outcome",
    )
    _stage_flag(test)
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
    promote = _verb(
        verbs,
        "promote",
        "record 'verified' for the tested live version, mirror it into the registry, and send the event that "
        "starts the next stage",
    )
    _stage_flag(promote)


def _rollback(verbs: Verbs) -> None:
    rollback = _verb(
        verbs, "rollback", "roll the stage back to --to-version, or to the newest good version older than the live one"
    )
    _stage_flag(rollback)
    rollback.add_argument(
        "--to-version", type=int, help="the version to go back to (default: the newest good older one)"
    )
    rollback.add_argument(
        "--force", action="store_true", help="allow a version that is not Approved or not verified upstream"
    )
    rollback.add_argument("--reason", default="", help="why (recorded in the ledger; required with --force)")
    rollback.add_argument(
        "--if-rejected",
        action="store_true",
        help="act only when the live version is Rejected in the registry (else exit 0 changing nothing): the "
        "stage's rejection path, which needs no approval because it only goes back to a verified version",
    )
    _rollout_flags(rollback)


def _unlock(verbs: Verbs) -> None:
    unlock = _verb(verbs, "unlock", "break the stage endpoint's lease lock on purpose (a run died holding it)")
    _stage_flag(unlock)
    unlock.add_argument("--reason", required=True, help="why (recorded in the ledger's history with the holder)")


def _teardown(verbs: Verbs) -> None:
    teardown = _verb(
        verbs, "teardown", "delete the stage's endpoint and every config and model the deployer created for it"
    )
    _stage_flag(teardown)
    teardown.add_argument("--yes", action="store_true", help="do not ask (a terminal asks for the endpoint name)")
    teardown.add_argument("--reason", default="teardown", help="why (recorded in the ledger)")


def _status(verbs: Verbs) -> None:
    status = _verb(
        verbs,
        "status",
        "the fleet: per model, versions x stages (approval, live, verified, rolled back) and each stage's endpoint "
        "and lock; reads <config-dir>/*.json and <config-dir>/*/*.json (one directory per model)",
    )
    status.add_argument("--stage", default=env.stage(), help="only this stage of each model (env STAGE)")
    _model_flag(status, "only this model (env MODEL); default: every model of the configs")
    status.add_argument("--limit", type=int, default=20, help="show at most this many versions, newest first (20)")
    status.add_argument(
        "--read-role-name",
        default=env.read_role_name(),
        metavar="NAME",
        help="reach every account through role NAME in it (e.g. OrganizationAccountAccessRole) instead of the "
        "configs' roles: the operator's view (env DEPLOYER_READ_ROLE_NAME; default: the configs' roles)",
    )


def _ledger_migrate(verbs: Verbs) -> None:
    migrate = _verb(
        verbs,
        "ledger-migrate",
        "copy a single-model ledger's items (keys STAGE#..., VERSION#...) to the keys of --model in the same "
        "table (MODEL#<model>#...); idempotent, the old items stay; runs with the current credentials",
    )
    _model_flag(migrate, "the model the single-model installation deployed (its project; env MODEL)", required=True)
    migrate.add_argument("--table", required=True, metavar="NAME", help="the ledger table (in --region)")
    migrate.add_argument("--dry-run", action="store_true", help="count what would be copied; write nothing")


def _seed_repo(verbs: Verbs) -> None:
    seed = _verb(verbs, "seed-repo", "seed a CodeCommit repository with files; no commit when nothing changed")
    seed.add_argument("--repository-name", required=True)
    seed.add_argument("--branch", default="main")
    seed.add_argument("--source-dir", help="directory whose files are seeded (relative paths kept)")
    seed.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="REPO_PATH=LOCAL_FILE",
        help="generated file, replaced whenever it differs; repeatable",
    )
    seed.add_argument(
        "--seed-file",
        action="append",
        default=[],
        metavar="REPO_PATH=LOCAL_FILE",
        help="seed file under another name (the team's once it exists, like --source-dir files); repeatable",
    )
    seed.add_argument("--role-arn", default="", help="role to assume for CodeCommit (default: current credentials)")
    seed.add_argument("--message", default="Seed from Terraform (mlops-deployer seed-repo)")


def resolve_globals(args: argparse.Namespace) -> None:
    """Fill flags from their environment variables; raise InputError naming a bad variable (nothing ran yet)."""
    args.config_dir = args.config_dir or env.config_dir()
    args.region = args.region or env.region()
    args.output = args.output or env.output()
    if args.output not in ("text", "json"):
        raise InputError(f"DEPLOYER_OUTPUT: {args.output!r} (allowed: text, json)")
    level = (args.log_level or env.log_level()).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise InputError(f"DEPLOYER_LOG_LEVEL: {level!r} (allowed: DEBUG, INFO, WARNING, ERROR)")
    args.log_level = level
    env.check_numbers()
    if "lock_wait" in args and args.lock_wait is None:
        args.lock_wait = env.lock_wait_seconds()
    if "model" in args:
        from deployer.config.patterns import MODEL  # the config package is not needed for --help

        source = "--model" if args.model else "MODEL"
        args.model = args.model or env.model()
        if args.model is not None and not MODEL.match(args.model):
            raise InputError(f"{source}: {args.model!r} is not a model name (allowed: {MODEL.pattern})")
