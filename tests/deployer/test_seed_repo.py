"""seed-repo: first commit, idempotent re-run, changed file only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import REGION, Sandbox


def seed(sandbox: Sandbox, repo: str, source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    sandbox.ensure_admin_role("222222222222", "terraform")  # the role Terraform's seeding assumes
    return subprocess.run(
        [sys.executable, "-m", "deployer", "seed-repo", "--repository-name", repo, "--branch", "main",
         "--source-dir", str(source), "--region", REGION,
         "--role-arn", "arn:aws:iam::222222222222:role/terraform", *extra],
        env={**os.environ, **sandbox.env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_seed_repo_is_idempotent(sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path) -> None:
    repo = unique("seed")
    cc: Any = sandbox.client("codecommit", "dev")
    cc.create_repository(repositoryName=repo)
    source = tmp_path / "seed"
    (source / "config").mkdir(parents=True)
    (source / "config" / "dev.json").write_text('{"stage": "dev"}\n')
    (source / "buildspec.yml").write_text("version: 0.2\n")
    extra = tmp_path / "rendered.json"
    extra.write_text('{"rendered": true}\n')

    first = seed(sandbox, repo, source, "--file", f"config/extra.json={extra}")
    assert first.returncode == 0, first.stderr
    head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    assert f"commit {head}" in first.stdout
    assert cc.get_file(repositoryName=repo, filePath="config/extra.json")["fileContent"] == b'{"rendered": true}\n'

    again = seed(sandbox, repo, source, "--file", f"config/extra.json={extra}")
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout
    assert cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"] == head

    (source / "buildspec.yml").write_text("version: 0.2\nphases: {}\n")
    changed = seed(sandbox, repo, source, "--output", "json")
    assert changed.returncode == 0, changed.stderr
    new_head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    assert new_head != head
    assert '"changed": [\n    "buildspec.yml"\n  ]' in changed.stdout
    assert cc.get_commit(repositoryName=repo, commitId=new_head)["commit"]["parents"] == [head]


def test_seed_missing_repo_is_bad_input(sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    result = seed(sandbox, unique("absent"), tmp_path)
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_reseed_keeps_the_teams_edit_and_updates_what_it_did_not_touch(
    sandbox: Sandbox, unique: Callable[[str], str], tmp_path: Path
) -> None:
    repo = unique("seed-team")
    cc: Any = sandbox.client("codecommit", "dev")
    cc.create_repository(repositoryName=repo)
    source = tmp_path / "seed"
    (source / "buildspecs").mkdir(parents=True)
    (source / "buildspecs" / "test.yml").write_text("version: 0.2\n# seed v1\n")
    (source / "README.md").write_text("seed v1\n")
    rendered = tmp_path / "dev.json"
    rendered.write_text('{"endpoint": "v1"}\n')
    assert seed(sandbox, repo, source, "--file", f"config/dev.json={rendered}").returncode == 0

    # The team edits the buildspec; the platform then changes every seeded file and the rendered config.
    head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    team = b"version: 0.2\nphases: {build: {commands: [pytest]}}\n"
    cc.put_file(repositoryName=repo, branchName="main", fileContent=team, filePath="buildspecs/test.yml",
                parentCommitId=head, commitMessage="our tests")  # fmt: skip
    (source / "buildspecs" / "test.yml").write_text("version: 0.2\n# seed v2\n")
    (source / "README.md").write_text("seed v2\n")
    rendered.write_text('{"endpoint": "v2"}\n')

    again = seed(sandbox, repo, source, "--file", f"config/dev.json={rendered}", "--output", "json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["kept"] == ["buildspecs/test.yml"]
    assert report["changed"] == ["README.md", "config/dev.json"]

    def content(path: str) -> bytes:
        return bytes(cc.get_file(repositoryName=repo, filePath=path)["fileContent"])

    assert content("buildspecs/test.yml") == team  # the edit survives the re-seed
    assert content("README.md") == b"seed v2\n"  # untouched by the team, so the seed updates it
    assert content("config/dev.json") == b'{"endpoint": "v2"}\n'  # generated: Terraform's
    manifest = json.loads(content(".seed/manifest.json"))["files"]
    assert set(manifest) == {"README.md", "buildspecs/test.yml"}

    # A third run changes nothing: the kept file stays kept, and no commit is made.
    head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    third = seed(sandbox, repo, source, "--file", f"config/dev.json={rendered}", "--output", "json")
    assert json.loads(third.stdout)["kept"] == ["buildspecs/test.yml"]
    assert cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"] == head
