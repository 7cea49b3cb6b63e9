"""What the CLI prints: plain lines for CodeBuild logs, JSON with `--output json`, one `error:` line on stderr."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of each record (it may be replaced after setup)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str) -> None:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger("deployer")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def emit(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    if args.output == "json":
        print(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        for line in lines:
            print(line)


def fail(args: argparse.Namespace, message: str, code: int, kind: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    if args.output == "json":
        print(json.dumps({"error": message, "kind": kind, "exit_code": code}, indent=2))
    return code
