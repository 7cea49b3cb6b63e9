"""`deployer teardown`: the endpoint and what the deployer made for it go, recorded; nothing else does."""

from __future__ import annotations

import pytest

from tests.deployer.conftest import World, cli, history


def test_teardown_deletes_the_endpoint_its_configs_models_and_scaling_and_records_it(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    _, arn2 = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert world.ours()["configs"] and world.ours()["models"]
    capsys.readouterr()

    assert cli(world, "teardown", "--stage", "dev") == 2  # no terminal to ask, and no --yes
    assert "pass --yes" in capsys.readouterr().err
    assert world.describe()["EndpointStatus"] == "InService"

    assert cli(world, "teardown", "--stage", "dev", "--yes", "--reason", "project ended") == 0
    out = capsys.readouterr().out
    assert "dev: deleted" in out and "(it served v2)" in out
    assert world.ours() == {"configs": [], "models": [], "endpoints": []}
    with pytest.raises(Exception, match="Could not find endpoint"):
        world.describe()
    scaling = world.dev_aas.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"endpoint/{world.endpoint}/variant/AllTraffic"]
    )["ScalableTargets"]
    assert scaling == []
    entry = [e for e in history(world, "dev") if e["event"] == "teardown"][-1]
    assert entry["reason"] == "project ended" and entry["version"] == "2"
    assert world.endpoint in entry["details"]["deleted"]
    assert "deployer:live:dev" not in world.metadata(arn2)

    assert cli(world, "teardown", "--stage", "dev", "--yes") == 0  # again: nothing left, says so
    assert "nothing to tear down" in capsys.readouterr().out
