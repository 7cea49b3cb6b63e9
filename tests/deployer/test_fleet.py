"""One platform, many models: every verb knows its model (`--model`, env MODEL), and `status` shows the fleet,
models x stages x versions, from one directory of stage configs per model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deployer.rollout import stage_status
from tests.conftest import REGION
from tests.deployer.conftest import World, cli, cli_json

# every verb that acts on a stage, with what else it needs to get as far as reading its config
STAGE_VERBS = [
    ("plan",),
    ("deploy",),
    ("test",),
    ("promote",),
    ("rollback",),
    ("unlock", "--reason", "x"),
    ("teardown", "--yes"),
]


def test_a_model_other_than_the_configs_is_refused_before_anything_runs(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add_version()
    for verb, *extra in STAGE_VERBS:
        assert cli(world, verb, "--stage", "dev", *extra, "--model", "fraud") == 2, verb
        error = capsys.readouterr().err
        # the stage config names its model: a different one names both, and what is allowed
        assert error == (
            f"error: --model: 'fraud' is not the model of {world.config_dir / 'dev.json'}, which deploys model "
            f"{world.model!r} (allowed: {world.model!r}, or no --model and no MODEL)\n"
        ), verb
    monkeypatch.setenv("MODEL", "fraud")  # the CodeBuild way
    assert cli(world, "deploy", "--stage", "dev") == 2
    assert "error: --model: 'fraud' is not the model of " in capsys.readouterr().err
    assert world.ours()["endpoints"] == [] and world.ledger().history("dev") == []  # nothing ran

    # not a model name at all: refused while the flags are read, naming where it came from
    monkeypatch.setenv("MODEL", "Fraud!")
    assert cli(world, "plan", "--stage", "dev") == 2
    assert "error: MODEL: 'Fraud!' is not a model name (allowed: ^[a-z0-9-]{1,40}$)" in capsys.readouterr().err
    assert cli(world, "plan", "--stage", "dev", "--model", "x#y") == 2
    assert "error: --model: 'x#y' is not a model name (allowed: " in capsys.readouterr().err

    # the config's own model, by MODEL or by flag, is what the verb acts on
    monkeypatch.setenv("MODEL", world.model)
    assert cli(world, "deploy", "--stage", "dev") == 0
    monkeypatch.delenv("MODEL")
    assert cli(world, "deploy", "--stage", "dev", "--model", world.model) == 0
    assert "already live: v1" in capsys.readouterr().out


def ship(world: World, stage: str) -> None:
    for verb in ("deploy", "test", "promote"):
        assert cli(world, verb, "--stage", stage) == 0, (stage, verb)


def test_status_shows_the_fleet_grouped_by_model_with_filters_and_json(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two models of one platform on one ledger table: the first with dev and staging (its configs in the
    config dir), the second with dev (its configs in a directory of their own below it)."""
    churn = world
    churn.add_stage("staging")
    fraud = churn.join(tmp_path / "fraud")
    c1, c1_arn = churn.add_version()
    f1, _ = fraud.add_version()
    f2, f2_arn = fraud.add_version()
    ship(churn, "dev")
    assert cli(fraud, "deploy", "--stage", "dev") == 0
    churn.ledger().acquire_lock(churn.slots["staging"].endpoint, "churn-staging:held#1", 3600, stage="staging")
    shutil.copytree(fraud.config_dir, churn.config_dir / "fraud")
    capsys.readouterr()

    code, fleet = cli_json(churn, capsys, "status")

    assert code == 0
    assert {m["model"]: m["stages"] for m in fleet["models"]} == {churn.model: ["dev", "staging"], fraud.model: ["dev"]}
    assert [m["model"] for m in fleet["models"]] == sorted([churn.model, fraud.model])
    models = {m["model"]: m for m in fleet["models"]}
    assert models[fraud.model]["model_package_group"] == fraud.group_arn
    assert models[fraud.model]["platform"] == "mlops" and models[fraud.model]["errors"] == []
    views = {(v["model"], v["stage"]): v for v in fleet["stages"]}
    assert set(views) == {(churn.model, "dev"), (churn.model, "staging"), (fraud.model, "dev")}
    assert [v["model"] for v in fleet["stages"]] == [m["model"] for m in fleet["models"] for _ in m["stages"]]
    churn_dev, churn_staging, fraud_dev = (
        views[churn.model, "dev"],
        views[churn.model, "staging"],
        views[fraud.model, "dev"],
    )
    assert (churn_dev["endpoint"], churn_dev["live_version"], churn_dev["status"]) == (churn.endpoint, c1, "InService")
    assert (fraud_dev["endpoint"], fraud_dev["live_version"]) == (fraud.endpoint, f2)
    assert churn_dev["sagemaker_model"] is None  # a config the ledger recorded: its package is the record's
    assert churn_dev["model_package_arn"] == c1_arn
    assert churn_staging["status"] == "absent" and churn_staging["live_version"] is None
    # each model sees its own ledger: churn's verified mark and staging lock, nothing of them at fraud's
    assert churn_dev["marks"]["verified"].keys() == {str(c1)} and fraud_dev["marks"]["verified"] == {}
    assert churn_staging["lock"]["owner"] == "churn-staging:held#1"
    assert churn_dev["lock"] is None and fraud_dev["lock"] is None
    rows = {(r["model"], r["version"]): r for r in fleet["versions"]}
    assert set(rows) == {(churn.model, c1), (fraud.model, f1), (fraud.model, f2)}
    assert [r["version"] for r in fleet["versions"] if r["model"] == fraud.model] == [f2, f1]  # newest first
    assert rows[churn.model, c1]["model_package_arn"] == c1_arn
    assert rows[churn.model, c1]["stages"]["dev"]["live"] and rows[churn.model, c1]["stages"]["dev"]["verified_at"]
    assert rows[churn.model, c1]["stages"]["staging"]["live"] is False
    assert rows[fraud.model, f2]["model_package_arn"] == f2_arn
    assert rows[fraud.model, f2]["stages"] == {
        "dev": {"live": True, "verified_at": None, "rolled_back_at": None, "promoted_at": None}
    }

    # filters: one model, one stage of every model, both
    code, one = cli_json(churn, capsys, "status", "--model", fraud.model)
    assert code == 0 and [m["model"] for m in one["models"]] == [fraud.model]
    assert [(v["model"], v["stage"]) for v in one["stages"]] == [(fraud.model, "dev")]
    assert {r["model"] for r in one["versions"]} == {fraud.model}
    code, dev = cli_json(churn, capsys, "status", "--stage", "dev")
    assert code == 0 and sorted(v["model"] for v in dev["stages"]) == sorted([churn.model, fraud.model])
    assert {m["model"]: m["stages"] for m in dev["models"]} == {churn.model: ["dev"], fraud.model: ["dev"]}
    code, both = cli_json(churn, capsys, "status", "--stage", "staging", "--model", churn.model)
    assert code == 0 and [(v["model"], v["stage"]) for v in both["stages"]] == [(churn.model, "staging")]
    assert cli(churn, "status", "--stage", "staging", "--model", fraud.model) == 2
    assert capsys.readouterr().err == (
        f"error: --model {fraud.model} and --stage staging: no stage config in {churn.config_dir} matches "
        f"(allowed: models {churn.model})\n"
    )
    assert cli(churn, "status", "--model", "nobody") == 2
    assert f"(allowed: models {', '.join(sorted([churn.model, fraud.model]))})" in capsys.readouterr().err
    assert cli(churn, "status", "--stage", "prod") == 2
    assert f"error: --stage prod: no stage config in {churn.config_dir} matches (allowed: stages dev, staging)" in (
        capsys.readouterr().err
    )

    # the text view: a heading per model, its stages, its versions table
    assert cli(churn, "status") == 0
    text = capsys.readouterr().out.splitlines()
    first, second = sorted([churn, fraud], key=lambda w: w.model)
    headings = [line for line in text if line.startswith("model ")]
    assert headings == [
        f"model {first.model} (platform mlops, registry {first.group_arn}):",
        f"model {second.model} (platform mlops, registry {second.group_arn}):",
    ]
    block = text[text.index(f"model {fraud.model} (platform mlops, registry {fraud.group_arn}):") :]
    assert block[1].startswith(f"dev: endpoint={fraud.endpoint} status=InService live=v{f2} ")
    assert "dev: lock: free" in block
    header = next(line for line in block if line.startswith("version"))
    assert header.split() == ["version", "approval", "dev"]
    assert "staging: lock: held by churn-staging:held#1" in "\n".join(text)

    # the same stage of the same model twice is refused, naming both files
    shutil.copytree(fraud.config_dir, churn.config_dir / "fraud-copy")
    assert cli(churn, "status") == 2
    error = capsys.readouterr().err
    assert f"{churn.config_dir / 'fraud' / 'dev.json'} and {churn.config_dir / 'fraud-copy' / 'dev.json'}" in error
    assert f"are both stage dev of model {fraud.model} (allowed: one config per model and stage)" in error


def test_a_stage_whose_live_config_the_ledger_recorded_is_read_in_two_calls(world: World) -> None:
    """An endpoint config never changes and its name is its request's hash: when the ledger recorded the live
    config, its version and package are the record's, and status reads the endpoint and only looks the config up
    (it may have been deleted under the endpoint); otherwise it reads the config and its model."""
    version, arn = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    config, sessions = world.dev.config(), world.dev.sessions()
    live = world.describe()["EndpointConfigName"]
    calls: list[str] = []
    sessions.client("sagemaker", config.target.role_arn, REGION).meta.events.register(
        "before-call.sagemaker", lambda model, **_: calls.append(model.name)
    )

    described = stage_status(config, sessions)
    assert (described["live_version"], described["model_package_arn"]) == (version, arn)
    assert described["sagemaker_model"].startswith(f"{world.endpoint}-v{version}-")
    assert calls == ["DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel"]

    calls.clear()
    recorded = stage_status(config, sessions, recorded={live: (version, "arn:as-recorded")})
    assert (recorded["live_version"], recorded["model_package_arn"]) == (version, "arn:as-recorded")
    assert recorded["sagemaker_model"] is None and recorded["endpoint_config"] == live
    assert {k: v for k, v in recorded.items() if k not in ("model_package_arn", "sagemaker_model")} == {
        k: v for k, v in described.items() if k not in ("model_package_arn", "sagemaker_model")
    }
    assert calls == ["DescribeEndpoint", "DescribeEndpointConfig"]

    calls.clear()
    other = stage_status(config, sessions, recorded={f"{live}-not-live": (version, "arn:other")})
    assert other == described
    assert calls == ["DescribeEndpoint", "DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel"]
