"""Fault scenario 28: prod's approval names the version, exactly that version deploys or the deploy fails
clearly, and a rejection rolls prod back with no approval (issue 13, item 4). The pipeline wiring (Plan ->
Approval -> Deploy with #{Plan.*}, the rejection rule's rollback build) is checked by `terraform test` and run
end to end by the demo; these are the deployer's halves of it."""

from __future__ import annotations

import shlex

import pytest

from tests.deployer.conftest import World, cli, history


def ship(world: World, stage: str) -> None:
    for verb in ("deploy", "test", "promote"):
        assert cli(world, verb, "--stage", stage) == 0, (stage, verb)


def exports(text: str) -> dict[str, str]:
    pairs = [shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in text.splitlines()]
    return {name: value for name, value in pairs}


def test_28_prod_approval_names_the_staged_version_deploys_exactly_it_and_a_rejection_needs_no_approval(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add_stage("staging")
    prod = world.add_stage("prod")
    v1, _ = world.add_version()
    ship(world, "dev")
    with monkeypatch.context() as build:
        build.setenv("CODEBUILD_BUILD_ID", "churn-staging-promote:b-42")
        ship(world, "staging")
    capsys.readouterr()

    assert cli(world, "plan", "--stage", "prod", "--exports") == 0
    facts = exports(capsys.readouterr().out)
    assert facts["DEPLOYER_CANDIDATE_VERSION"] == str(v1) and facts["DEPLOYER_VERIFIED_IN"] == "staging"
    assert (
        facts["DEPLOYER_VERIFIED_AT"].startswith("20")
        and facts["DEPLOYER_VERIFIED_BUILD"] == "churn-staging-promote:b-42"
    )
    assert cli(world, "deploy", "--stage", "prod", "--model-version", facts["DEPLOYER_CANDIDATE_VERSION"]) == 0
    assert cli(world, "test", "--stage", "prod") == 0 and cli(world, "promote", "--stage", "prod") == 0

    # v2 goes through staging, the approval names it, and it is Rejected before prod's Deploy runs.
    v2, arn2 = world.add_version()
    ship(world, "dev")
    ship(world, "staging")
    capsys.readouterr()
    assert cli(world, "plan", "--stage", "prod", "--exports") == 0
    assert exports(capsys.readouterr().out)["DEPLOYER_CANDIDATE_VERSION"] == str(v2)
    world.set_status(arn2, "Rejected")
    assert cli(world, "deploy", "--stage", "prod", "--model-version", str(v2)) == 2
    assert f"--model-version {v2}: version is Rejected, not Approved" in capsys.readouterr().err
    assert f"-v{v1}-" in prod.describe()["EndpointConfigName"]

    # The rejection path: nothing to do while live v1 is fine ...
    assert cli(world, "rollback", "--stage", "prod", "--if-rejected") == 0
    assert "is Approved, not Rejected: nothing to do" in capsys.readouterr().out
    # ... and once v2 is live and then Rejected, prod goes back to v1 without any approval.
    world.set_status(arn2, "Approved")
    assert cli(world, "deploy", "--stage", "prod", "--model-version", str(v2)) == 0
    world.set_status(arn2, "Rejected")
    assert cli(world, "rollback", "--stage", "prod", "--if-rejected") == 0
    assert f"-v{v1}-" in prod.describe()["EndpointConfigName"]
    rollback = [e for e in history(world, "prod") if e["event"] == "rollback"][-1]
    assert f"live v{v2} was Rejected in the registry" in rollback["reason"]
