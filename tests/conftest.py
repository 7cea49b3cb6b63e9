"""Shared fixtures: a private sandbox per test session (`sandbox.harness`), unique names, the hosting tests'
execution role. The plain functions behind them live in `tests.support`; the names below stay importable
from here for the suites that import them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from sandbox.harness import ACCOUNTS, REGION, Sandbox, free_port, running
from tests.support import REPO
from tests.support.fixtures import EXECUTION_ROLE, hosting_execution_role, unique_names

__all__ = ["ACCOUNTS", "EXECUTION_ROLE", "REGION", "REPO", "Sandbox", "free_port"]


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running(tmp_path_factory.mktemp("sandbox")) as box:
        yield box


@pytest.fixture
def sandbox_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The sandbox, with this test's process environment pointing at it."""
    for key, value in sandbox.env.items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Unique resource names, so tests sharing one sandbox never collide."""
    return unique_names()


@pytest.fixture(scope="session")
def execution_role(sandbox: Sandbox) -> str:
    """The dev execution role the hosting tests' models name: trusted by SageMaker, reads their artifacts."""
    return hosting_execution_role(sandbox)
