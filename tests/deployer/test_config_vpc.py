"""endpoint.vpc and endpoint.network_isolation: validation, the CreateModel request, names, and a deploy that
creates the model in the VPC (against the sandbox)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from deployer.config import VpcSettings, load_stage_config
from deployer.naming import hashed_name
from deployer.rollout import model_request
from tests.deployer.conftest import World
from tests.deployer.test_config import base_doc, problems, write

PACKAGE = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/7"
VPC = {"subnet_ids": ["subnet-0123456789abcdef0", "subnet-11111111"], "security_group_ids": ["sg-0123456789abcdef0"]}


def with_endpoint(**keys: Any) -> dict[str, Any]:
    doc = base_doc()
    doc["endpoint"] = {**doc["endpoint"], **keys}
    return doc


def test_absent_or_null_vpc_means_no_vpc(tmp_path: Path) -> None:
    doc = with_endpoint()
    del doc["endpoint"]["vpc"], doc["endpoint"]["network_isolation"]
    config = load_stage_config(write(tmp_path, doc), "dev")
    assert (config.endpoint.vpc, config.endpoint.network_isolation) == (None, False)
    config = load_stage_config(write(tmp_path, with_endpoint(vpc=None, network_isolation=False)), "dev")
    assert (config.endpoint.vpc, config.endpoint.network_isolation) == (None, False)


def test_vpc_and_isolation_are_read(tmp_path: Path) -> None:
    config = load_stage_config(write(tmp_path, with_endpoint(vpc=VPC, network_isolation=True)), "dev")
    assert config.endpoint.vpc == VpcSettings(tuple(VPC["subnet_ids"]), tuple(VPC["security_group_ids"]))
    assert config.endpoint.network_isolation is True


# (endpoint keys, field named in the problem, text of the problem)
BAD = [
    ({"vpc": "subnet-11111111"}, "endpoint.vpc", "null or an object with subnet_ids, security_group_ids"),
    ({"vpc": {**VPC, "vpc_id": "vpc-11111111"}}, "endpoint.vpc.vpc_id", "unknown key (allowed: subnet_ids, security"),
    ({"vpc": {"security_group_ids": ["sg-11111111"]}}, "endpoint.vpc.subnet_ids", "missing (allowed: 1-16 distinct"),
    ({"vpc": {**VPC, "subnet_ids": []}}, "endpoint.vpc.subnet_ids", "has 0 ids (allowed: 1-16 distinct ids subnet-"),
    (
        {"vpc": {**VPC, "subnet_ids": [f"subnet-{i:08x}" for i in range(17)]}},
        "endpoint.vpc.subnet_ids",
        "has 17 ids (allowed: 1-16 distinct ids subnet-<8 or 17 lowercase hex digits>; SageMaker VpcConfig.Subnets",
    ),
    ({"vpc": {**VPC, "subnet_ids": ["subnet-XYZ", 7]}}, "endpoint.vpc.subnet_ids", "'subnet-XYZ', 7 are invalid"),
    ({"vpc": {**VPC, "subnet_ids": ["subnet-11111111"] * 2}}, "endpoint.vpc.subnet_ids", "repeats an id"),
    (
        {"vpc": {**VPC, "security_group_ids": [f"sg-{i:08x}" for i in range(6)]}},
        "endpoint.vpc.security_group_ids",
        "has 6 ids (allowed: 1-5 distinct ids sg-",
    ),
    ({"vpc": {**VPC, "security_group_ids": "sg-11111111"}}, "endpoint.vpc.security_group_ids", "is not a list"),
    ({"network_isolation": "yes"}, "endpoint.network_isolation", "'yes' is not a boolean (allowed: true, false)"),
    ({"vpc_config": VPC}, "endpoint.vpc_config", "unknown key (allowed: name, variant_name"),
]


@pytest.mark.parametrize(("keys", "field", "text"), BAD, ids=[f"{b[1]}:{b[2][:20]}" for b in BAD])
def test_bad_vpc_settings_name_file_field_and_allowed_values(
    tmp_path: Path, keys: dict[str, Any], field: str, text: str
) -> None:
    found = problems(tmp_path, with_endpoint(**keys))
    assert any(p.startswith(f"{tmp_path}/config/dev.json: {field}: ") and text in p for p in found), found


def test_create_model_request_carries_vpc_and_isolation(tmp_path: Path) -> None:
    plain = load_stage_config(write(tmp_path, with_endpoint()), "dev")
    config = load_stage_config(write(tmp_path, with_endpoint(vpc=VPC, network_isolation=True)), "dev")
    request = model_request(config, PACKAGE)
    assert request == {
        "ExecutionRoleArn": config.endpoint.execution_role_arn,
        "Containers": [{"ModelPackageName": PACKAGE}],
        "VpcConfig": {"Subnets": VPC["subnet_ids"], "SecurityGroupIds": VPC["security_group_ids"]},
        "EnableNetworkIsolation": True,
    }
    # Without them the request is what it was before they existed (existing names stay valid).
    assert model_request(plain, PACKAGE) == {
        "ExecutionRoleArn": plain.endpoint.execution_role_arn,
        "Containers": [{"ModelPackageName": PACKAGE}],
    }


def test_a_vpc_change_is_a_model_change(tmp_path: Path) -> None:
    """Any change to the VPC facts names a new model (and so a new endpoint config and an update)."""
    config = load_stage_config(write(tmp_path, with_endpoint(vpc=VPC)), "dev")

    def moved(**changes: Any) -> Any:
        return dataclasses.replace(config, endpoint=dataclasses.replace(config.endpoint, **changes))

    variants = [
        config,
        moved(vpc=None),
        moved(network_isolation=True),
        moved(vpc=VpcSettings(("subnet-22222222",), tuple(VPC["security_group_ids"]))),
        moved(vpc=VpcSettings(tuple(VPC["subnet_ids"]), ("sg-22222222",))),
    ]
    names = {hashed_name(c.endpoint.name, 7, model_request(c, PACKAGE))[0] for c in variants}
    assert len(names) == len(variants)


def test_deploy_creates_the_model_in_the_vpc(world: World) -> None:
    """The round trip against the sandbox: what the config says is what DescribeModel reports."""
    world.add_version()
    config = world.write_config(endpoint={"vpc": VPC, "network_isolation": True})
    result = world.deployer(config).deploy()
    assert result.plan.action == "create"
    model = world.dev_sm.describe_model(ModelName=result.plan.model_name)
    assert model["VpcConfig"] == {"Subnets": VPC["subnet_ids"], "SecurityGroupIds": VPC["security_group_ids"]}
    assert model["EnableNetworkIsolation"] is True
    assert world.describe()["EndpointStatus"] == "InService"

    # Leaving the VPC is a new model and an update, not a no-op.
    again = world.deployer(world.write_config(endpoint={"vpc": None, "network_isolation": False})).deploy()
    assert again.plan.action == "update"
    assert again.plan.model_name != result.plan.model_name
    moved = world.dev_sm.describe_model(ModelName=again.plan.model_name)
    assert "VpcConfig" not in moved and moved["EnableNetworkIsolation"] is False
