"""Fault scenario 39: what a stage runs on is deleted behind the deployer's back (issue 26, item 3).

Someone deletes the endpoint config the endpoint runs on. SageMaker keeps serving (the endpoint holds its own
copy), but nothing can be proven or rolled back onto it: `test` and `status` must say so, and a re-run of
`deploy` for the same version must recreate it and move the endpoint onto it, never report a no-op.
"""

from __future__ import annotations

import pytest

from tests.deployer.conftest import World, cli, cli_json, history


def test_39_live_config_deleted_out_of_band_is_reported_and_a_deploy_recreates_it(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    before = world.describe()
    live = before["EndpointConfigName"]
    world.dev_sm.delete_endpoint_config(EndpointConfigName=live)
    assert world.describe()["EndpointStatus"] == "InService"  # SageMaker keeps serving
    capsys.readouterr()

    assert cli(world, "test", "--stage", "dev") == 4
    err = capsys.readouterr().err
    assert f"endpoint {world.endpoint} runs on endpoint config {live}, which no longer exists" in err
    assert "deployer deploy --stage dev" in err
    code, status = cli_json(world, capsys, "status", "--stage", "dev")
    stage = status["stages"][0]
    assert code == 0 and stage["config_missing"] is True, stage
    assert any(live in problem and "no longer exists" in problem for problem in stage["problems"]), stage

    assert cli(world, "deploy", "--stage", "dev") == 0
    err = capsys.readouterr().err
    assert f"action: update (endpoint config {live} is gone (deleted out of band)" in err
    after = world.describe()
    assert after["EndpointConfigName"] == live and after["LastModifiedTime"] > before["LastModifiedTime"]
    assert world.dev_sm.describe_endpoint_config(EndpointConfigName=live)["EndpointConfigName"] == live
    deployments = [e for e in history(world, "dev") if e["event"] == "deployment"]
    assert [(e["result"], e["version"]) for e in deployments[-1:]] == [("succeeded", "1")]
    assert cli(world, "test", "--stage", "dev") == 0
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert "action: no-op" in capsys.readouterr().err  # converged: the next run has nothing left to do
