"""A small multi-account world in the sandbox for deployer tests: one model of a platform.

tooling: the model package group (shared with every stage account), the artifact bucket and the ledger table
(the platform's: `World.join` makes another model of the same platform, on the same table).
Each stage slot (dev, and on demand staging and prod): see `Slot`. The configs sit in `root/config`, so the
repo root is `root`, which holds the seed smoke tests.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deployer.config import StageConfig
from deployer.rollout import StageDeployer
from sandbox.harness import ACCOUNTS, Sandbox
from tests.support import REPO
from tests.support.accounts import CHAIN, admin_client
from tests.support.registry import MODEL_KEY, Registry, register_version
from tests.support.slot import Slot

SEED_SMOKE = REPO / "seed" / "tests" / "smoke"


class World(Registry):
    """The registry side plus stage slots; `world.dev` exists from the start, the rest via `add_stage`.

    The attributes and methods of the original single-stage world (endpoint, dev_sm, write_config, ...) refer
    to the dev slot, so the rollout tests read as before.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        unique: Callable[[str], str],
        root: Path,
        *,
        share: bool = True,
        ledger_table: str = "",
    ) -> None:
        self.sandbox = sandbox
        self.unique = unique
        readers = [ACCOUNTS[s] for s in CHAIN]
        super().__init__(
            lambda service: admin_client(sandbox, service), unique("w"), readers, ledger_table=ledger_table
        )
        self.root = root
        self.config_dir = root / "config"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(SEED_SMOKE, root / "tests" / "smoke", dirs_exist_ok=True)
        self.slots: dict[str, Slot] = {}
        self.metrics_written = 0
        self.dev = self._slot("dev")
        self.shared = share
        if share:
            self.share_with_stages()

    def _slot(self, stage: str) -> Slot:
        slot = Slot(self, stage)
        self.slots[stage] = slot
        return slot

    def add_stage(self, stage: str) -> Slot:
        """Add the next stage: its slot and bus, the group shared with it, and every config rewritten."""
        slot = self._slot(stage)
        slot.listen_for_promotions(CHAIN[CHAIN.index(stage) - 1])
        if self.shared:
            self.share_with_stages()
        for each in self.slots.values():
            each.write_config()
        return slot

    def join(self, root: Path) -> World:
        """Another model of this world's platform: its own group, bucket, endpoints and configs (in
        `root/config`), on this world's ledger table."""
        other = World(self.sandbox, self.unique, root, share=self.shared, ledger_table=self.ledger_table)
        other.write_config()
        return other

    def share_with_stages(self) -> None:
        self.share_with([slot.account for slot in self.slots.values()])

    # kept name: older tests call it
    share_with_dev = share_with_stages

    def add_version(
        self,
        *,
        fault: str = "",
        status: str = "Approved",
        key: str = MODEL_KEY,
        environment: dict[str, str] | None = None,
        metrics: dict[str, Any] | None = None,
        instance_types: tuple[str, ...] = (),
    ) -> tuple[int, str]:
        """A version; with `metrics`, its model-quality statistics go into the artifact bucket as JSON and
        the version registers them (ModelMetrics)."""
        # Fleets provision in 30 simulated seconds (AWS takes minutes), so the suite stays fast; tests that need
        # the default 100 s (or another value) pass SANDBOX_PROVISION_SECONDS in `environment`.
        env = {"SANDBOX_PROVISION_SECONDS": "30"}
        if fault:
            env["SANDBOX_FAULT"] = fault
        env.update(environment or {})
        return register_version(
            self.tooling_sm,
            self.group,
            f"s3://{self.bucket}/{key}",
            status=status,
            environment=env,
            content_types=("text/csv", "application/json"),
            description="test version",
            metrics_uri=self.put_metrics(metrics) if metrics is not None else "",
            instance_types=instance_types,
        )

    def put_metrics(self, document: dict[str, Any]) -> str:
        """A statistics document under models/ in the artifact bucket (where producers write); its s3:// URI."""
        self.metrics_written += 1
        key = f"models/metrics/{self.metrics_written}/statistics.json"
        admin_client(self.sandbox, "s3").put_object(
            Bucket=self.bucket, Key=key, Body=json.dumps(document).encode(), ContentType="application/json"
        )
        return f"s3://{self.bucket}/{key}"

    # -- the dev slot, under the single-stage world's names ----------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self.dev.endpoint

    @property
    def execution_role_arn(self) -> str:
        return self.dev.execution_role_arn

    @property
    def alarms(self) -> list[str]:
        return self.dev.alarms

    @property
    def dev_sm(self) -> Any:
        return self.dev.sm

    @property
    def dev_cw(self) -> Any:
        return self.dev.cw

    @property
    def dev_aas(self) -> Any:
        return self.dev.aas

    def config_doc(self, **sections: Any) -> dict[str, Any]:
        return self.dev.config_doc(**sections)

    def write_config(self, **sections: Any) -> StageConfig:
        return self.dev.write_config(**sections)

    def deployer(self, config: StageConfig | None = None, *, keep: int = 3) -> StageDeployer:
        return self.dev.deployer(config, keep=keep)

    def ours(self) -> dict[str, list[str]]:
        return self.dev.ours()

    def describe(self) -> dict[str, Any]:
        return self.dev.describe()


def make_world(sandbox: Sandbox, unique: Callable[[str], str], root: Path) -> World:
    """The `world` fixture's body: a world with dev's config written."""
    world = World(sandbox, unique, root)
    world.write_config()
    return world
