"""Fixtures of the deployer suite: the multi-account world of `tests.support.world`.

The world's names stay importable from here for the suites that import them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.harness import Sandbox
from tests.support.accounts import CHAIN, DEV, PROD, STAGING, TOOLING, admin_client, admin_session, deploy_role
from tests.support.probes import Body, cli, cli_json, history, marks
from tests.support.registry import IMAGE
from tests.support.slot import Slot
from tests.support.target import ensure_deployer_roles
from tests.support.world import SEED_SMOKE, World, make_world

__all__ = [
    "CHAIN",
    "DEV",
    "IMAGE",
    "PROD",
    "SEED_SMOKE",
    "STAGING",
    "TOOLING",
    "Body",
    "Slot",
    "World",
    "admin_client",
    "admin_session",
    "cli",
    "cli_json",
    "deploy_role",
    "history",
    "marks",
]


@pytest.fixture
def world(sandbox_env: Sandbox, unique: Callable[[str], str], tmp_path: Path) -> World:
    return make_world(sandbox_env, unique, tmp_path)


@pytest.fixture
def deployer_roles(sandbox_env: Sandbox) -> Sandbox:
    """dev's deploy role (churn-dev-deploy) and registry role, for tests that assume them without a world."""
    ensure_deployer_roles(sandbox_env, "dev", "dev", "churn-dev-deploy")
    return sandbox_env
