"""Fault scenarios 16-18: a run that lost its lease changes nothing (issue 13, item 2).

The stall is a botocore hook on the stale run's own client: while it waits in preflight, another run takes the
lease over and ships a newer version. No sleeps: the takeover uses a ledger whose clock is past the lease.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from deployer.endpoint import Target
from deployer.errors import LockHeldError, RolloutError
from tests.conftest import REGION
from tests.deployer.conftest import World, admin_client, cli, deploy_role, history


def once(action: Any) -> Any:
    """A botocore hook that runs `action` on its first call only."""
    fired: list[bool] = []

    def hook(**_: Any) -> None:
        if not fired:
            fired.append(True)
            action()

    return hook


def take_over_and_ship(world: World) -> None:
    """The stale run's lease expired: a runner whose clock is past it takes over, then a new run ships."""
    other = world.ledger(build_id="churn-dev:other", clock=lambda: time.time() + 3600)
    other.acquire_lock(world.endpoint, "churn-dev:other#1", 60, stage="dev")
    other.release_lock(world.endpoint, "churn-dev:other#1")
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0


def test_16_stale_holder_after_a_takeover_exits_with_the_lock_error_and_changes_nothing(world: World) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    v2, _ = world.add_version()
    stale = world.dev.sessions(build_id="churn-dev:stale")
    cw = stale.client("cloudwatch", deploy_role("dev"), REGION)
    cw.meta.events.register("after-call.cloudwatch.DescribeAlarms", once(lambda: take_over_and_ship(world)))

    with pytest.raises(LockHeldError, match=r"lost the lock on endpoint .*stopped before sagemaker:Create"):
        world.dev.run(stale).deploy()

    live = world.describe()["EndpointConfigName"]
    assert f"-v{v2 + 1}-" in live  # v3, which the other run shipped, is still what serves
    successes = [e for e in history(world, "dev") if e.get("result") == "succeeded"]
    assert successes[-1]["version"] == str(v2 + 1) and successes[-1]["endpoint_config"] == live
    assert not any(f"-v{v2}-" in name for name in world.ours()["configs"])  # the stale run created nothing


def test_17_endpoint_changed_by_someone_else_after_the_plan_is_left_alone(world: World) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    world.add_version()
    sm = admin_client(world.sandbox, "sagemaker", "dev")
    before = world.describe()["EndpointConfigName"]

    def console_update() -> None:  # someone moves the endpoint by hand while the run is in preflight
        live = sm.describe_endpoint_config(EndpointConfigName=before)
        sm.create_endpoint_config(EndpointConfigName="by-hand", ProductionVariants=live["ProductionVariants"])
        sm.update_endpoint(EndpointName=world.endpoint, EndpointConfigName="by-hand")

    sessions = world.dev.sessions()
    cw = sessions.client("cloudwatch", deploy_role("dev"), REGION)
    cw.meta.events.register("after-call.cloudwatch.DescribeAlarms", once(console_update))
    with pytest.raises(RolloutError, match=r"changed since the plan: it was InService on .*, it is Updating"):
        world.dev.run(sessions).deploy()
    now = world.describe()
    assert now["EndpointStatus"] == "Updating" and now["EndpointConfigName"] == before
    assert now["PendingDeploymentSummary"]["EndpointConfigName"] == "by-hand"  # the hand-made change, not ours


def test_18_only_mutating_calls_pass_the_fence() -> None:
    fenced: list[str] = []
    target = Target(lambda service: None, "222222222222", "arn:aws:iam::222222222222:role/r")
    target.fence = fenced.append
    actions = [
        "sagemaker:DescribeEndpoint",
        "sagemaker:CreateModel",
        "sagemaker:UpdateEndpoint",
        "sagemaker:ListModels",
        "sagemaker:DeleteEndpointConfig",
        "sagemaker:AddTags",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "cloudwatch:DescribeAlarms",
    ]
    for action in actions:
        with target.call(action):
            pass
    assert fenced == [
        a
        for a in actions
        if a.split(":")[1].startswith(("Create", "Update", "Delete", "Add", "Re", "De", "Put")) and "Describe" not in a
    ]
