"""UpdateEndpoint against the live endpoint: autoscaled variants, variant renames, Inf1 fallback, whole-instance
canaries; DeleteEndpoint and autoscaling (issue 14)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Sandbox
from tests.sandbox.test_hosting import (
    FAST,
    Unique,
    canary,
    error_of,
    make_model,
    put_alarm,
    settled,
    sm,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("execution_role")
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def config_on(
    client: Any, unique: Unique, instance_type: str = "ml.m5.large", count: int = 2, variant: str = "AllTraffic"
) -> str:
    model = make_model(client, unique("model"), dict(FAST))
    name = unique("config")
    variants = [
        {
            "VariantName": variant,
            "ModelName": model,
            "InstanceType": instance_type,
            "InitialInstanceCount": count,
            "InitialVariantWeight": 1.0,
        }
    ]
    client.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants)
    return name


def live_endpoint(client: Any, unique: Unique, config: str) -> str:
    endpoint = unique("endpoint")
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    assert wait_for(client, endpoint, settled)["EndpointStatus"] == "InService"
    return endpoint


def register(sandbox: Sandbox, endpoint: str, variant: str = "AllTraffic") -> Any:
    scaling = sandbox.client("application-autoscaling", "dev")
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=f"endpoint/{endpoint}/variant/{variant}",
        ScalableDimension=DIMENSION,
        MinCapacity=1,
        MaxCapacity=4,
    )
    return scaling


def targets(scaling: Any, endpoint: str) -> list[Any]:
    found = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    return [t for t in found if t["ResourceId"].startswith(f"endpoint/{endpoint}/")]


def test_autoscaled_variant_refuses_instance_type_change_and_removal(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint = live_endpoint(client, unique, config_on(client, unique))
    scaling = register(sandbox, endpoint)
    for config, change in (
        (config_on(client, unique, "ml.c5.large"), "changes its instance type from ml.m5.large to ml.c5.large"),
        (config_on(client, unique, variant="Renamed"), "removes it"),
    ):
        with pytest.raises(ClientError) as exc:
            client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)
        code, message = error_of(exc)
        assert code == "ValidationException"
        assert f"scalable target exists for variant AllTraffic of endpoint {endpoint}, and the update {change}" in (
            message
        )
        assert "You must first deregister the scalable target" in message
    assert client.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService"
    # A new model on the same instance type is allowed while registered.
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config_on(client, unique))
    wait_for(client, endpoint, settled)
    scaling.deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=f"endpoint/{endpoint}/variant/AllTraffic", ScalableDimension=DIMENSION
    )
    resized = config_on(client, unique, "ml.c5.large")
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=resized)
    assert wait_for(client, endpoint, settled)["EndpointConfigName"] == resized


def test_guarded_update_refuses_a_renamed_variant(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint = live_endpoint(client, unique, config_on(client, unique))
    renamed = config_on(client, unique, variant="Blue")
    policy = canary({"Type": "INSTANCE_COUNT", "Value": 1}, wait=0)
    with pytest.raises(ClientError) as exc:
        client.update_endpoint(EndpointName=endpoint, EndpointConfigName=renamed, DeploymentConfig=policy)
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert f"The production variant names ['Blue'] of endpoint config {renamed} do not match" in message
    # Without deployment guardrails the variant may change its name.
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=renamed)
    done = wait_for(client, endpoint, settled)
    assert [v["VariantName"] for v in done["ProductionVariants"]] == ["Blue"]


def test_inf1_update_falls_back_to_all_at_once_without_alarms(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    alarm = unique("alarm-latency")
    put_alarm(sandbox, alarm).set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="firing")
    endpoint = live_endpoint(client, unique, config_on(client, unique, "ml.inf1.xlarge", count=4))
    target = config_on(client, unique, "ml.inf1.xlarge", count=4)
    policy = canary({"Type": "INSTANCE_COUNT", "Value": 1}, wait=300, termination=300)
    policy["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": alarm}]}
    started = time.monotonic()
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, DeploymentConfig=policy)
    shares: set[float] = set()

    def note(described: dict[str, Any]) -> bool:
        pending = described.get("PendingDeploymentSummary")
        if pending:
            shares.add(pending["ProductionVariants"][0]["CurrentWeight"])
        return bool(described["EndpointStatus"] == "InService")

    done = wait_for(client, endpoint, note, timeout=10)
    # No canary step, no bakes, no termination wait, and the firing alarm is not watched.
    assert time.monotonic() - started < 2.5
    assert done["EndpointConfigName"] == target
    assert 0.25 not in shares
    assert "FailureReason" not in done


def test_canary_percent_resolves_to_whole_instances(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint = live_endpoint(client, unique, config_on(client, unique, count=3))
    target = config_on(client, unique, count=3)
    policy = canary({"Type": "CAPACITY_PERCENT", "Value": 50}, wait=100)
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, DeploymentConfig=policy)
    shares: set[float] = set()

    def note(described: dict[str, Any]) -> bool:
        pending = described.get("PendingDeploymentSummary")
        if pending:
            shares.add(round(pending["ProductionVariants"][0]["CurrentWeight"], 3))
        return bool(described["EndpointStatus"] == "InService")

    assert wait_for(client, endpoint, note)["EndpointConfigName"] == target
    # 50% of 3 instances is 1 instance: a third of the traffic, never half.
    assert 0.333 in shares
    assert 0.5 not in shares


def test_delete_deregisters_scalable_targets_and_refuses_while_updating(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint = live_endpoint(client, unique, config_on(client, unique))
    scaling = register(sandbox, endpoint)
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config_on(client, unique))
    with pytest.raises(ClientError) as exc:
        client.delete_endpoint(EndpointName=endpoint)
    assert error_of(exc)[0] == "ValidationException"
    assert "in-progress endpoint" in error_of(exc)[1]
    wait_for(client, endpoint, settled)
    assert len(targets(scaling, endpoint)) == 1
    client.delete_endpoint(EndpointName=endpoint)
    assert targets(scaling, endpoint) == []
