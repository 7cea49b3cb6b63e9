"""Shadow variants: CreateEndpointConfig keeps and checks them, the endpoint mirrors a sampled share to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Sandbox
from tests.sandbox.test_hosting import FAST, Unique, error_of, make_model, settled, sm, wait_for

pytestmark = pytest.mark.usefixtures("execution_role")


def variant(name: str, model: str, weight: float | None = 1.0, count: int = 1) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": count,
    }
    if weight is not None:
        spec["InitialVariantWeight"] = weight
    return spec


def shadow_config(
    client: Any, unique: Unique, shadow_env: dict[str, str] | None = None, weight: float = 0.5, **extra: Any
) -> str:
    production = make_model(client, unique("prod-model"), dict(FAST))
    candidate = make_model(client, unique("shadow-model"), {**FAST, **(shadow_env or {})})
    name = unique("config")
    client.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[variant("Production", production, count=2)],
        ShadowProductionVariants=[variant("Shadow", candidate, weight=weight)],
        **extra,
    )
    return name


def serving(client: Any, unique: Unique, config: str) -> str:
    endpoint = unique("endpoint")
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    assert wait_for(client, endpoint, settled)["EndpointStatus"] == "InService"
    return endpoint


def test_config_keeps_shadow_variants_and_describes_them(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    config = shadow_config(client, unique)
    described = client.describe_endpoint_config(EndpointConfigName=config)
    [shadow] = described["ShadowProductionVariants"]
    assert shadow["VariantName"] == "Shadow" and shadow["InitialVariantWeight"] == 0.5
    assert [v["VariantName"] for v in described["ProductionVariants"]] == ["Production"]


def test_config_refuses_what_aws_refuses_for_shadows(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    model = make_model(client, unique("model"), dict(FAST))
    cases = [
        # one production and one shadow variant only
        ([variant("A", model), variant("B", model)], [variant("S", model)], "exactly one variant"),
        ([variant("A", model)], [variant("S", model), variant("T", model)], "exactly one variant"),
        # names unique across production and shadow
        ([variant("A", model)], [variant("A", model)], "A appears more than once"),
        # the shadow's model must exist
        ([variant("A", model)], [variant("S", unique("missing"))], "Could not find model"),
    ]
    for production, shadows, message in cases:
        name = unique("config")
        with pytest.raises(ClientError) as exc:
            client.create_endpoint_config(
                EndpointConfigName=name, ProductionVariants=production, ShadowProductionVariants=shadows
            )
        code, text = error_of(exc)
        assert code == "ValidationException" and message in text
        # nothing was created
        with pytest.raises(ClientError):
            client.describe_endpoint_config(EndpointConfigName=name)


def test_endpoint_describes_shadow_variants_with_counts(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint = serving(client, unique, shadow_config(client, unique))
    described = client.describe_endpoint(EndpointName=endpoint)
    [shadow] = described["ShadowProductionVariants"]
    assert shadow["VariantName"] == "Shadow"
    assert (shadow["CurrentInstanceCount"], shadow["DesiredInstanceCount"]) == (1, 1)
    assert (shadow["CurrentWeight"], shadow["DesiredWeight"]) == (0.5, 0.5)
    assert shadow["DeployedImages"][0]["SpecifiedImage"]
    assert [v["VariantName"] for v in described["ProductionVariants"]] == ["Production"]


def test_callers_get_only_production_answers_and_a_broken_shadow_changes_nothing(
    sandbox: Sandbox, unique: Unique
) -> None:
    client = sm(sandbox)
    config = shadow_config(client, unique, {"SANDBOX_FAULT": "model-error"}, weight=1.0)
    endpoint = serving(client, unique, config)
    runtime = sandbox.client("sagemaker-runtime", "dev")
    for _ in range(6):
        answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"34,12,79.5,1,0")
        assert answer["InvokedProductionVariant"] == "Production"
        assert answer["Body"].read().decode().strip()
    # The shadow (weight equal to production's) got every request, and failed every one, unseen by callers.
    for metric in ("Invocations", "Invocation5XXErrors"):
        points = sandbox.client("cloudwatch", "dev").get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName=metric,
            Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": "Shadow"}],
            StartTime=datetime.now(UTC) - timedelta(minutes=30),
            EndTime=datetime.now(UTC) + timedelta(minutes=30),
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        assert sum(p["Sum"] for p in points) == 6


def test_update_onto_and_away_from_a_shadow_config(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    plain_model = make_model(client, unique("model"), dict(FAST))
    plain = unique("plain")
    client.create_endpoint_config(EndpointConfigName=plain, ProductionVariants=[variant("Production", plain_model)])
    endpoint = serving(client, unique, plain)
    assert "ShadowProductionVariants" not in client.describe_endpoint(EndpointName=endpoint)

    with_shadow = shadow_config(client, unique)
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=with_shadow)
    pending = client.describe_endpoint(EndpointName=endpoint)["PendingDeploymentSummary"]
    assert [v["VariantName"] for v in pending["ShadowProductionVariants"]] == ["Shadow"]
    done = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")
    assert done["EndpointConfigName"] == with_shadow
    assert [v["VariantName"] for v in done["ShadowProductionVariants"]] == ["Shadow"]

    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=plain)
    back = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")
    assert back["EndpointConfigName"] == plain and "ShadowProductionVariants" not in back
