"""Fault scenarios 14-15: a release never lowers capacity (issue 13, item 1).

What the endpoint looked like is read from the DescribeEndpoint answers the deployer itself received while
it waited (an after-call hook on its own client), so the test needs no polling thread and no sleeps.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import REGION
from tests.deployer.conftest import World, cli, deploy_role


def serving_counts(describe: dict[str, Any]) -> int:
    """Instances able to serve: the live fleet plus a new fleet that is already taking traffic."""
    live = sum(int(v.get("CurrentInstanceCount") or 0) for v in describe.get("ProductionVariants") or [])
    return live


def test_14_autoscaled_fleet_keeps_its_size_through_an_update_and_autoscaling_returns(world: World) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    # Autoscaling grew the variant from the configured 2 to 4 (as Application Auto Scaling does it).
    world.dev_sm.update_endpoint_weights_and_capacities(
        EndpointName=world.endpoint,
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 4}],
    )
    world.add_version()

    seen: list[dict[str, Any]] = []
    sessions = world.dev.sessions()

    def record(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        # only this endpoint: cleanup also describes every other endpoint in the account
        if model.name == "DescribeEndpoint" and parsed.get("EndpointName") == world.endpoint:
            seen.append(parsed)

    client = sessions.client("sagemaker", deploy_role("dev"), REGION)  # the very client the deployer uses
    client.meta.events.register("after-call.sagemaker.DescribeEndpoint", record)
    plan = world.dev.run(sessions).deploy()
    assert plan.plan.keeps_live_count and plan.plan.fleet_size == 4

    final = world.describe()
    assert final["EndpointConfigName"] == plan.plan.config_name
    variant = final["ProductionVariants"][0]
    assert variant["DesiredInstanceCount"] == 4 and variant["CurrentInstanceCount"] == 4
    assert seen, "the deployer never described the endpoint while it waited"
    assert min(serving_counts(d) for d in seen) >= 4, [serving_counts(d) for d in seen]
    scalable = world.dev_aas.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"endpoint/{world.endpoint}/variant/AllTraffic"]
    )["ScalableTargets"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in scalable] == [(2, 4)]


def test_15_fleet_at_the_configured_count_is_not_retained(world: World) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    world.add_version()
    plan = world.dev.run().plan()
    assert not plan[0].keeps_live_count and plan[0].fleet_size == 2
