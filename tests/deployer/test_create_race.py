"""Two runs creating the same model and endpoint config: the loser of the race reuses what the winner made.

The deployer checks for a model or config before creating it, but another run may create it in between;
SageMaker then refuses the create ("Cannot create already existing ..."). Names hash the request, so what
exists is exactly what this run would have created.
"""

from __future__ import annotations

from typing import Any

import pytest

from deployer.endpoint import changes
from deployer.endpoint.target import Target
from tests.deployer.conftest import World


def test_model_and_config_created_meanwhile_by_another_run_are_reused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add_version()
    plan = world.deployer().plan()
    real_model, real_config = changes.describe_model, changes.describe_endpoint_config
    raced: list[str] = []

    def model_then_race(target: Target, name: str) -> Any:
        found = real_model(target, name)
        if found is None:  # the other run creates it right after this run looked
            world.dev_sm.create_model(ModelName=name, **plan.model_request)
            raced.append(name)
        return found

    def config_then_race(target: Target, name: str) -> Any:
        found = real_config(target, name)
        if found is None:
            world.dev_sm.create_endpoint_config(EndpointConfigName=name, **plan.config_request)
            raced.append(name)
        return found

    monkeypatch.setattr(changes, "describe_model", model_then_race)
    monkeypatch.setattr(changes, "describe_endpoint_config", config_then_race)
    result = world.deployer().deploy()

    assert raced == [plan.model_name, plan.config_name]
    assert result.created == [world.endpoint]  # neither the model nor the config counts as this run's
    desc = world.describe()
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", plan.config_name)
