"""Upgrading a single-model installation: `deployer ledger-migrate` copies the ledger's items from the old keys
(`STAGE#<stage>`, `VERSION#<version>`) to the model's, idempotently, leaving the old items in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from deployer.ledger import Deployment, Ledger, LedgerInputError, MarkKind, Outcome, migrate_legacy
from tests.conftest import REGION, Sandbox
from tests.deployer.conftest import World, cli, cli_json, history, marks
from tests.deployer.ledger_support import ARN, FakeClock, create_table, make_ledger, to_legacy_layout


@pytest.fixture
def table(sandbox: Sandbox, unique: Callable[[str], str]) -> str:
    return create_table(sandbox, unique("ledger"))


def records(ledger: Ledger) -> dict[str, Any]:
    """Everything the deployer reads of a model's ledger, by stage and by version."""
    return {
        "history": {stage: ledger.history(stage, limit=None) for stage in ("dev", "staging")},
        "versions": {v: ledger.version_history(v, limit=None) for v in (3, 4)},
        "marks": {
            stage: sorted(ledger.marks(stage), key=lambda m: (m.kind, m.version)) for stage in ("dev", "staging")
        },
    }


def legacy_keys(sandbox: Sandbox, table: str) -> list[dict[str, Any]]:
    client: Any = sandbox.client("dynamodb")
    items = client.scan(TableName=table, ConsistentRead=True)["Items"]
    return [i for i in items if i["pk"]["S"].startswith(("STAGE#", "VERSION#"))]


def test_legacy_items_are_copied_once_and_stay_where_they_were(sandbox: Sandbox, table: str) -> None:
    clock = FakeClock()
    churn = make_ledger(sandbox, table, clock, model="churn")
    deployment = Deployment("dev", 3, ARN.format(3), "churn-dev", "churn-dev-v3-abc", "canary")
    churn.record_deployment(deployment, Outcome.STARTED)
    clock.now += 60
    churn.record_deployment(deployment, Outcome.SUCCEEDED)
    churn.record_verified("dev", 3, ARN.format(3))
    churn.record_promoted("dev", 3, next_stage="staging", event_id="e-1", event_bus_arn="arn:bus")
    clock.now += 60
    churn.record_rollback("staging", from_version=4, to_version=3, endpoint="churn-staging", reason="alarm")
    churn.acquire_lock("churn-dev", "held", 60, stage="dev")
    before = records(churn)
    client: Any = sandbox.client("dynamodb")
    moved = to_legacy_layout(client, table, "churn")  # now an installation from before the platform
    fraud = make_ledger(sandbox, table, clock, model="fraud")  # a model of the platform, already on its keys
    fraud.record_verified("dev", 3, ARN.format(3))
    assert records(churn)["history"]["dev"] == [] and churn.lock_holder("churn-dev") is not None

    dry = migrate_legacy(client, table, "churn", dry_run=True)
    assert (dry.legacy, dry.copied, dry.present, dry.already_migrated) == (moved, moved, 0, 0)
    assert dry.by_kind == {"history": moved - 3, "mark": 3}
    assert records(churn)["history"]["dev"] == []  # a dry run writes nothing

    done = migrate_legacy(client, table, "churn", clock=clock)
    assert (done.copied, done.present, done.already_migrated, done.dry_run) == (moved, 0, 0, False)
    assert done.lines()[1].startswith(f"copied {moved} to model churn (keys MODEL#churn#...); 0 already there")
    assert records(churn) == before  # what the deployer reads: as it was before the upgrade
    assert [m.version for m in fraud.marks("dev")] == [3] and fraud.history("staging") == []  # fraud's untouched
    left = legacy_keys(sandbox, table)
    assert len(left) == moved and {i["migrated_to"]["S"] for i in left} == {"churn"}  # history is never deleted

    # a second run copies nothing; nor does it bring back a mark the deployer cleared after the upgrade
    assert churn.clear_mark("staging", 4, MarkKind.ROLLED_BACK, reason="deployed v4 with --force") is True
    again = migrate_legacy(client, table, "churn")
    assert (again.copied, again.present, again.already_migrated) == (0, 0, moved)
    assert churn.get_mark("staging", 4, MarkKind.ROLLED_BACK) is None

    # the same legacy items cannot become another model's as well
    with pytest.raises(LedgerInputError) as refused:
        migrate_legacy(client, table, "fraud")
    assert str(refused.value) == (
        f"ledger table {table}: legacy items were migrated to model churn already; refusing to copy them to "
        "fraud as well (allowed: --model churn)"
    )
    with pytest.raises(LedgerInputError, match=r"--model: invalid model 'Churn'"):
        migrate_legacy(client, table, "Churn")


def test_an_item_already_under_the_models_key_is_left_as_it_is(sandbox: Sandbox, table: str) -> None:
    """An interrupted run, or a mark the new deployer wrote before the migration: the conditional put skips it."""
    churn = make_ledger(sandbox, table, model="churn")
    churn.record_verified("dev", 3, ARN.format(3), reason="old")
    client: Any = sandbox.client("dynamodb")
    to_legacy_layout(client, table, "churn")
    churn.record_verified("dev", 3, ARN.format(3), reason="new")  # written under the new key meanwhile

    result = migrate_legacy(client, table, "churn")

    assert (result.legacy, result.copied, result.present) == (3, 2, 1)  # the mark, its history by stage and version
    mark = churn.get_mark("dev", 3, MarkKind.VERIFIED)
    assert mark is not None and mark.reason == "new"
    assert all("migrated_to" in item for item in legacy_keys(sandbox, table))


def test_an_upgraded_installation_promotes_on_its_old_records(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """dev verified v1 under the single-model keys; after `ledger-migrate`, staging's plan finds it (the
    promotion rule reads the previous stage's marks), and status and history read the old records."""
    world.add_stage("staging")
    v1, _ = world.add_version()
    for verb in ("deploy", "test", "promote"):
        assert cli(world, verb, "--stage", "dev") == 0
    before = history(world, "dev")
    moved = to_legacy_layout(world.dynamodb, world.ledger_table, world.model)
    capsys.readouterr()
    assert cli(world, "plan", "--stage", "staging") == 3  # the deployer reads the model's keys only
    assert f"v{v1} is Approved but not verified in dev" in capsys.readouterr().err
    migrate = ("--region", REGION, "ledger-migrate", "--table", world.ledger_table, "--model", world.model)

    code, dry = cli_json(world, capsys, *migrate, "--dry-run")
    assert code == 0 and (dry["dry_run"], dry["legacy"], dry["copied"]) == (True, moved, moved)
    assert cli(world, *migrate) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"ledger table {world.ledger_table}: {moved} legacy item(s) of ")
    assert out[1] == (
        f"copied {moved} to model {world.model} (keys MODEL#{world.model}#...); 0 already there, "
        "0 migrated by an earlier run"
    )

    assert history(world, "dev") == before and marks(world, "dev", "verified") == [v1]
    assert cli(world, "plan", "--stage", "staging") == 0
    assert f"why: v{v1} is Approved and was verified in dev at " in capsys.readouterr().out
    code, status = cli_json(world, capsys, "status")
    assert code == 0 and status["versions"][0]["stages"]["dev"]["verified_at"]
    assert status["stages"][0]["last_outcome"]["result"] == "succeeded"
    for verb in ("deploy", "test", "promote"):
        assert cli(world, verb, "--stage", "staging") == 0
    assert marks(world, "staging", "verified") == [v1]
    capsys.readouterr()

    code, again = cli_json(world, capsys, *migrate)
    assert code == 0 and (again["copied"], again["already_migrated"]) == (0, moved)
    assert cli(world, "--region", REGION, "ledger-migrate", "--table", world.ledger_table) == 2
    assert "error: --model: required (or set MODEL)" in capsys.readouterr().err
    assert cli(world, "--region", REGION, "ledger-migrate", "--table", "no-such-table", "--model", "x") == 2
    assert "error: ledger table no-such-table not found (dynamodb:Scan)" in capsys.readouterr().err
