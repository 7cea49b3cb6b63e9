"""`python -m sandbox serve|start|stop|status|reset|env|chaos|iam-report|connection-complete|git-push`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sandbox.accounts import AccountsFileError, load_accounts
from sandbox.clock import time_scale
from sandbox.ext._chaos_spec import ENV, ChaosSpecError, parse_text
from sandbox.server import SandboxError, ensure_loopback, ensure_port_free, serve

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5055
DEFAULT_REGION = "us-east-1"
START_TIMEOUT_S = 60.0


def repo_root() -> Path:
    """The checkout holding python/sandbox, else the current directory."""
    env = os.environ.get("SANDBOX_HOME")
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "python" / "sandbox").is_dir():
            return candidate
    return here


@dataclass(frozen=True)
class RunState:
    pid: int
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def state_dir() -> Path:
    return repo_root() / ".sandbox"


def _state_file() -> Path:
    return state_dir() / "sandbox.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state() -> RunState | None:
    try:
        data = json.loads(_state_file().read_text())
        state = RunState(int(data["pid"]), str(data["host"]), int(data["port"]))
    except (OSError, ValueError, KeyError):
        return None
    return state if _alive(state.pid) else None


def _listening(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _chaos_env(args: argparse.Namespace) -> dict[str, str]:
    """`--chaos SPEC`, checked here so a bad spec fails the command naming the field, as SANDBOX_CHAOS (set)."""
    spec = getattr(args, "chaos", None)
    if spec is None:
        return {}
    parse_text(spec, "--chaos")
    return {ENV: spec}


def cmd_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.update(_chaos_env(args))
    serve(args.host, args.port)
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    running = read_state()
    if running:
        print(f"sandbox already running: pid {running.pid} on {running.url}")
        return 1
    ensure_loopback(args.host)
    ensure_port_free(args.host, args.port)
    chaos_env = _chaos_env(args)
    state_dir().mkdir(parents=True, exist_ok=True)
    log_path = state_dir() / "sandbox.log"
    with open(log_path, "ab") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--host", args.host, "--port", str(args.port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **chaos_env},
        )
    _state_file().write_text(json.dumps({"pid": proc.pid, "host": args.host, "port": args.port}))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _state_file().unlink(missing_ok=True)
            print(f"sandbox exited with code {proc.returncode}; see {log_path}")
            return 1
        if _listening(args.host, args.port):
            print(f"sandbox started: pid {proc.pid} on http://{args.host}:{args.port} (log {log_path})")
            return 0
        time.sleep(0.1)
    proc.terminate()
    print(f"sandbox did not listen within {START_TIMEOUT_S:.0f}s; see {log_path}")
    return 1


def cmd_stop(_: argparse.Namespace) -> int:
    running = read_state()
    if not running:
        _state_file().unlink(missing_ok=True)
        print("sandbox is not running")
        return 0
    os.kill(running.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(running.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(running.pid):
        os.kill(running.pid, signal.SIGKILL)
    _state_file().unlink(missing_ok=True)
    print(f"sandbox stopped (pid {running.pid})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    running = read_state()
    if args.output == "json":
        print(json.dumps({"running": bool(running), **(running.__dict__ if running else {})}))
    elif running:
        print(f"sandbox running: pid {running.pid} on {running.url}")
    else:
        print("sandbox is not running")
    return 0 if running else 3


def _target_url(args: argparse.Namespace) -> str:
    running = read_state()
    if args.port is None and running:
        return running.url
    return f"http://{args.host}:{args.port or DEFAULT_PORT}"


def cmd_reset(args: argparse.Namespace) -> int:
    url = _target_url(args)
    try:
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30)
    except (urllib.error.URLError, OSError) as exc:
        print(f"cannot reset the sandbox at {url}: {exc}")
        return 1
    print(f"sandbox at {url}: all state wiped")
    return 0


def cmd_chaos(args: argparse.Namespace) -> int:
    """Show, set (SPEC) or turn off (--off) the running sandbox's chaos mode."""
    url = f"{_target_url(args)}/_sandbox/chaos"
    if args.off:
        request = urllib.request.Request(url, method="DELETE")
    elif args.spec is not None:
        parse_text(args.spec, "spec")
        request = urllib.request.Request(url, data=args.spec.encode(), method="PUT")
    else:
        request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            print(json.dumps(json.loads(answer.read()), indent=2))
    except (urllib.error.URLError, OSError) as exc:
        print(f"cannot reach the sandbox at {url}: {exc}")
        return 1
    return 0


def fetch_iam_report(url: str) -> dict[str, object]:
    """The running sandbox's least-privilege report (see sandbox.iam.report)."""
    with urllib.request.urlopen(f"{url}/_sandbox/iam/report", timeout=60) as answer:
        data: dict[str, object] = json.loads(answer.read())
    return data


def cmd_iam_report(args: argparse.Namespace) -> int:
    from sandbox.iam.report import render

    url = _target_url(args)
    try:
        data = fetch_iam_report(url)
    except (urllib.error.URLError, OSError) as exc:
        print(f"cannot read the IAM report of the sandbox at {url}: {exc}")
        return 1
    print(json.dumps(data, indent=2) if args.output == "json" else render(data, summary=args.summary))
    return 0


def sandbox_env(url: str) -> dict[str, str]:
    """What a shell, boto3 or Terraform needs to talk to the sandbox."""
    accounts = load_accounts()
    env = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_REGION": DEFAULT_REGION,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "SANDBOX_TIME_SCALE": str(time_scale()),
        # AWS is polled every 15-30 s; the sandbox's clock runs faster, so polls shrink with it.
        "DEPLOYER_POLL_SECONDS": f"{max(0.05, 15 * time_scale()):g}",
    }
    env.update({f"SANDBOX_ACCOUNT_{role.upper()}": account for role, account in accounts.items()})
    return env


def cmd_env(args: argparse.Namespace) -> int:
    env = sandbox_env(_target_url(args))
    if args.output == "json":
        print(json.dumps(env, indent=2))
    else:
        for key, value in env.items():
            print(f"export {key}={value}")
    return 0


def cmd_connection_complete(args: argparse.Namespace) -> int:
    from sandbox.git_host import GitHostError, complete_connection

    try:
        connection = complete_connection(_target_url(args), args.connection_arn)
    except (GitHostError, urllib.error.URLError, OSError) as exc:
        print(f"cannot complete the connection: {exc}")
        return 1
    print(f"{connection['ConnectionArn']}: {connection['ConnectionStatus']}")
    return 0


def cmd_git_push(args: argparse.Namespace) -> int:
    from sandbox.git_host import GitHostError, push, tree

    extra: dict[str, bytes] = {}
    for item in args.file:
        path, sep, local = item.partition("=")
        if not sep or not path or not local:
            print(f"--file must be <path in repo>=<local file>, not {item!r}")
            return 2
        extra[path] = Path(local).read_bytes()
    try:
        answer = push(_target_url(args), args.repository, args.branch, tree(Path(args.directory), extra), args.message)
    except (GitHostError, urllib.error.URLError, OSError) as exc:
        print(f"cannot push: {exc}")
        return 1
    print(json.dumps(answer, indent=2) if args.output == "json" else f"pushed {answer['commitId']}")
    for started in answer["startedExecutions"] if args.output != "json" else []:
        print(f"started {started['pipeline']} in {started['account']}: {started['executionId']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, helptext: str, port_default: int | None = DEFAULT_PORT) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host", default=DEFAULT_HOST, help="loopback address (default %(default)s)")
        p.add_argument("--port", type=int, default=port_default, help=f"port (default {DEFAULT_PORT})")
        return p

    chaos_help = "chaos mode from the start: a JSON spec, as SANDBOX_CHAOS (see README, Chaos mode)"
    add("serve", "run in the foreground").set_defaults(func=cmd_serve)
    add("start", "run in the background (pid and log under .sandbox/)").set_defaults(func=cmd_start)
    for name in ("serve", "start"):
        sub.choices[name].add_argument("--chaos", metavar="SPEC", help=chaos_help)
    chaos = add("chaos", "show, set or turn off chaos mode at runtime", None)
    chaos.add_argument("spec", nargs="?", help='JSON spec, e.g. \'{"rate": 0.2, "seed": 7}\'')
    chaos.add_argument("--off", action="store_true", help="turn chaos off")
    chaos.set_defaults(func=cmd_chaos)
    sub.add_parser("stop", help="stop the background sandbox").set_defaults(func=cmd_stop)
    status = sub.add_parser("status", help="is the background sandbox running")
    status.add_argument("--output", choices=("text", "json"), default="text")
    status.set_defaults(func=cmd_status)
    add("reset", "wipe all state", None).set_defaults(func=cmd_reset)
    env = add("env", "print the shell exports that point AWS clients at the sandbox", None)
    env.add_argument("--output", choices=("text", "json"), default="text")
    env.set_defaults(func=cmd_env)
    report = add("iam-report", "per role: calls allowed, calls denied (and why), grants never used", None)
    report.add_argument("--output", choices=("text", "json"), default="text")
    report.add_argument("--summary", action="store_true", help="only roles with denials or unused grants")
    report.set_defaults(func=cmd_iam_report)
    complete = add("connection-complete", "the console handshake: a PENDING connection becomes AVAILABLE", None)
    complete.add_argument("connection_arn")
    complete.set_defaults(func=cmd_connection_complete)
    git_push = add("git-push", "push a directory to the stand-in Git provider (starts watching pipelines)", None)
    git_push.add_argument("repository", help="<owner>/<name>, the FullRepositoryId of the source action")
    git_push.add_argument("directory", help="the branch's whole tree after the push")
    git_push.add_argument("--branch", default="main")
    git_push.add_argument("--message", default="sandbox push")
    git_push.add_argument("--file", action="append", default=[], help="<path in repo>=<local file>, repeatable")
    git_push.add_argument("--output", choices=("text", "json"), default="text")
    git_push.set_defaults(func=cmd_git_push)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (SandboxError, AccountsFileError, ChaosSpecError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
