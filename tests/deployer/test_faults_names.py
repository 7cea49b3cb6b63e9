"""Fault scenarios 33-34: endpoints whose names share their first 55 characters (issue 13).

Names used to keep only the first 51 characters of the endpoint name, so two such endpoints shared a config and
model name, and cleanup on one deleted what the other served. Now each name carries a hash of the whole endpoint
name, and cleanup deletes only what is tagged for its endpoint and no endpoint in the account uses.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from deployer.config import StageConfig
from deployer.endpoint import cleanup, wait_until_settled
from deployer.naming import ENDPOINT_TAG, is_ours, resource_name
from tests.deployer.conftest import World

# the module, which the package's `cleanup` function hides
cleanup_module = importlib.import_module("deployer.endpoint.cleanup")


def twins(world: World) -> tuple[StageConfig, StageConfig]:
    """Two stage configs for the dev account whose endpoint names share their first 55 (in fact 56) characters."""
    shared = f"{world.endpoint}-shared-{'s' * 63}"[:55]
    a, b = (world.write_config(endpoint={"name": f"{shared}-{x}"}) for x in "ab")
    assert a.endpoint.name[:56] == b.endpoint.name[:56] and len(a.endpoint.name) == 57
    return a, b


def tags(world: World, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in world.dev_sm.list_tags(ResourceArn=arn)["Tags"]}


def serving(world: World, endpoint: str) -> dict[str, Any]:
    """What `endpoint` serves: its status, and its config and model with their creation times and tags."""
    sm = world.dev_sm
    desc = sm.describe_endpoint(EndpointName=endpoint)
    config = sm.describe_endpoint_config(EndpointConfigName=desc["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    return {
        "status": desc["EndpointStatus"],
        "config": (config["EndpointConfigName"], config["CreationTime"], tags(world, config["EndpointConfigArn"])),
        "model": (model["ModelName"], model["CreationTime"], tags(world, model["ModelArn"])),
    }


def exists(world: World, config: str = "", model: str = "") -> bool:
    sm = world.dev_sm
    found = sm.list_endpoint_configs(NameContains=config)["EndpointConfigs"] if config else []
    models = sm.list_models(NameContains=model)["Models"] if model else []
    return (not config or config in [c["EndpointConfigName"] for c in found]) and (
        not model or model in [m["ModelName"] for m in models]
    )


def test_33_endpoints_sharing_55_characters_each_get_their_own_config_and_model(world: World) -> None:
    a, b = twins(world)
    version, arn = world.add_version()
    results = [world.deployer(config).deploy() for config in (a, b)]

    plans = [r.plan for r in results]
    assert plans[0].model_request == plans[1].model_request  # the same version, the same CreateModel request
    assert plans[0].model_name != plans[1].model_name and plans[0].config_name != plans[1].config_name
    for config, result in zip((a, b), results, strict=True):
        name, plan = config.endpoint.name, result.plan
        assert result.created == [plan.model_name, plan.config_name, name]  # nothing of the other's reused
        live = serving(world, name)
        assert live["status"] == "InService"
        assert (live["config"][0], live["model"][0]) == (plan.config_name, plan.model_name)
        for _, _, tagged in (live["config"], live["model"]):
            assert tagged[ENDPOINT_TAG] == name and tagged["deployer:model-version"] == str(version)
        assert len(plan.config_name) <= 63 and len(plan.model_name) <= 63
    assert not is_ours(plans[0].config_name, b.endpoint.name) and not is_ours(plans[1].model_name, a.endpoint.name)
    model_a = world.dev_sm.describe_model(ModelName=plans[0].model_name)
    assert model_a["Containers"][0]["ModelPackageName"] == arn


def test_34_cleanup_on_one_never_touches_what_the_other_serves(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleanup_module, "ENDPOINTS_PAGE", 1)  # the in-use check must page through ListEndpoints
    a, b = twins(world)
    ep_a, ep_b = a.endpoint.name, b.endpoint.name
    world.add_version()
    first_b = [world.deployer(config).deploy() for config in (a, b)][1].plan
    served_by_b = serving(world, ep_b)

    # A moves on twice, keeping nothing old: each cleanup deletes A's previous config and model, never B's.
    for _ in range(2):
        world.add_version()
        result = world.deployer(a, keep=0).deploy()
        assert len(result.deleted) == 2 and all(is_ours(n, ep_a) for n in result.deleted)
        assert serving(world, ep_b) == served_by_b

    # B is pointed at A's live config by hand; A ships again: that config and its model stay, since B uses them.
    target = world.deployer(b).target()
    borrowed = serving(world, ep_a)
    world.dev_sm.update_endpoint(EndpointName=ep_b, EndpointConfigName=borrowed["config"][0])
    wait_until_settled(target, ep_b, timeout=600, poll=0.1)
    legacy, lone = untagged_leftovers(world, ep_a, first_b.candidate_arn)
    world.add_version()
    result = world.deployer(a, keep=0).deploy()
    assert result.deleted == []
    assert serving(world, ep_b) == {**borrowed, "status": "InService"}
    assert exists(world, config=legacy, model=legacy) and exists(world, model=lone)  # no deployer:endpoint tag
    assert exists(world, config=first_b.config_name, model=first_b.model_name)  # B's, not in use, still not A's

    # B's own cleanup deletes its unused v1 config and model, and keeps A's config it now serves.
    assert cleanup(target, ep_b, keep=0) == [first_b.config_name, first_b.model_name]
    assert serving(world, ep_b) == {**borrowed, "status": "InService"}


def untagged_leftovers(world: World, endpoint: str, package_arn: str) -> tuple[str, str]:
    """Named as the deployer names them for `endpoint`, made before the deployer:endpoint tag: a config with its
    model, and a model nothing references."""
    config, lone = resource_name(endpoint, 99, "0badf00d"), resource_name(endpoint, 98, "0badf00d")
    sm = world.dev_sm
    for model in (config, lone):
        containers = [{"ModelPackageName": package_arn}]
        sm.create_model(ModelName=model, ExecutionRoleArn=world.execution_role_arn, Containers=containers)
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": config,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant])
    return config, lone
