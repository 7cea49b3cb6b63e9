"""What deployer tests read and drive a world through: the CLI, the ledger's raw items, canned responses."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from deployer.cli import main
from tests.support.world import World


class Body:
    """A raw response body for botocore `before-send` hooks that answer instead of the sandbox."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._unread = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data

    def read(self, amt: int | None = None) -> bytes:  # streaming outputs (InvokeEndpoint's Body)
        chunk = self._unread if amt is None else self._unread[:amt]
        self._unread = self._unread[len(chunk) :]
        return chunk


def cli(world: World, *args: str) -> int:
    return main(["--config-dir", str(world.config_dir), *args])


def cli_json(world: World, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["--config-dir", str(world.config_dir), "--output", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def history(world: World, stage: str) -> list[dict[str, Any]]:
    """The stage's ledger history, oldest first, as plain dicts (version as a string, empty fields left out)."""
    entries = reversed(world.ledger().history(stage, limit=None))
    return [
        {k: str(v) if k == "version" else v for k, v in dataclasses.asdict(e).items() if v not in ("", None, {})}
        for e in entries
    ]


def marks(world: World, stage: str, kind: str) -> list[int]:
    return sorted(mark.version for mark in world.ledger().marks(stage, kind))
