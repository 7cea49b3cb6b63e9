"""Client of the sandbox's Git provider stand-in (`sandbox.ext.codeconnections`): complete a connection, push
a directory. What `python -m sandbox connection-complete` and `git-push` run."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROUTE = "/_sandbox/codeconnections/"


class GitHostError(RuntimeError):
    """The sandbox refused the request; the message is its answer."""


def _post(url: str, route: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}{ROUTE}{route}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            data: dict[str, Any] = json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        raise GitHostError(f"{route}: {exc.code} {exc.read().decode(errors='replace')}") from None
    return data


def complete_connection(url: str, connection_arn: str) -> dict[str, Any]:
    """The console handshake: the connection becomes AVAILABLE. Returns the connection."""
    connection: dict[str, Any] = _post(url, "complete", {"connection_arn": connection_arn})["connection"]
    return connection


def tree(directory: Path, extra: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """Every file under `directory` by its relative path, plus `extra` (which wins)."""
    files = {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}
    files.update(extra or {})
    return files


def push(url: str, repository: str, branch: str, files: Mapping[str, bytes], message: str) -> dict[str, Any]:
    """Push `files` as the whole tree of `repository@branch`: {"commitId", "startedExecutions"}."""
    encoded = {path: base64.b64encode(content).decode() for path, content in files.items()}
    payload = {"repository": repository, "branch": branch, "files": encoded, "message": message}
    return _post(url, "push", payload)
