"""Rollouts against the sandbox: create, strategies, rollbacks, failures, no-op re-runs, cleanup."""

from __future__ import annotations

from typing import Any

import pytest

from deployer.cli import main
from deployer.endpoint import cleanup, wait_until_settled
from deployer.errors import EndpointFailedError, RolledBackError
from tests.deployer.conftest import DEV, World


def cli(world: World, *args: str) -> int:
    return main(["--config-dir", str(world.config_dir), *args])


def tags_of(world: World, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in world.dev_sm.list_tags(ResourceArn=arn)["Tags"]}


def test_first_deploy_creates_endpoint_with_model_config_tags_and_autoscaling(world: World) -> None:
    version, arn = world.add_version()
    result = world.deployer().deploy()

    assert result.plan.action == "create"
    desc = world.describe()
    assert desc["EndpointStatus"] == "InService"
    assert desc["EndpointConfigName"] == result.plan.config_name
    assert result.plan.config_name.startswith(f"{world.endpoint}-v{version}-")
    assert len(result.plan.config_name) <= 63
    assert result.created == [result.plan.model_name, result.plan.config_name, world.endpoint]

    model = world.dev_sm.describe_model(ModelName=result.plan.model_name)
    assert model["Containers"][0]["ModelPackageName"] == arn
    assert model["ExecutionRoleArn"] == world.execution_role_arn
    config = world.dev_sm.describe_endpoint_config(EndpointConfigName=result.plan.config_name)
    variant = config["ProductionVariants"][0]
    assert (variant["VariantName"], variant["InstanceType"], variant["InitialInstanceCount"]) == (
        "AllTraffic",
        "ml.m5.large",
        2,
    )
    assert config["DataCaptureConfig"]["InitialSamplingPercentage"] == 20
    for resource_arn in (model["ModelArn"], config["EndpointConfigArn"], desc["EndpointArn"]):
        tags = tags_of(world, resource_arn)
        assert tags["deployer:model-package-arn"] == arn
        assert tags["deployer:model-version"] == str(version)
        assert tags["deployer:stage"] == "dev"
        assert tags["deployer:config-hash"] == result.plan.config_hash
        assert tags["deployer:endpoint"] == world.endpoint
        assert tags["deployer:model"] == world.model
        assert tags["team"] == "ml-platform"

    resource_id = f"endpoint/{world.endpoint}/variant/AllTraffic"
    targets = world.dev_aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource_id])
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]] == [(2, 4)]
    policies = world.dev_aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource_id)
    spec = policies["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"]
    assert spec["PredefinedMetricSpecification"]["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"
    assert spec["TargetValue"] == 100


def test_rerun_of_live_version_is_a_noop_without_new_resources(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    world.deployer().deploy()
    before = world.ours()
    modified = world.describe()["LastModifiedTime"]

    assert cli(world, "deploy", "--stage", "dev") == 0
    out = capsys.readouterr().out
    assert "already live: v1" in out
    assert world.ours() == before
    assert world.describe()["LastModifiedTime"] == modified
    plan = world.deployer().plan()
    assert (plan.action, plan.live_version) == ("no-op", 1)

    # autoscaling settings are not part of the config hash: a no-op run reconciles them in place
    config = world.write_config(autoscaling={"max_capacity": 6})
    assert world.deployer(config).deploy().outcome == "no-op"
    targets = world.dev_aas.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"endpoint/{world.endpoint}/variant/AllTraffic"]
    )["ScalableTargets"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(2, 6)]
    assert world.ours() == before


@pytest.mark.parametrize(
    ("strategy", "step", "expected"),
    [
        ("canary", {"type": "CAPACITY_PERCENT", "value": 50}, "CANARY"),
        ("linear", {"type": "CAPACITY_PERCENT", "value": 50}, "LINEAR"),
        ("rolling", {"type": "INSTANCE_COUNT", "value": 1}, "ROLLING"),
        ("all_at_once", None, "ALL_AT_ONCE"),
    ],
)
def test_update_with_each_strategy(world: World, strategy: str, step: dict[str, Any] | None, expected: str) -> None:
    world.add_version()
    world.deployer().deploy()
    v2, arn2 = world.add_version()
    deployment: dict[str, Any] = {"strategy": strategy, "wait_seconds": 30, "termination_wait_seconds": 10}
    if step:
        deployment["step"] = step
    config = world.write_config(deployment=deployment)

    result = world.deployer(config).deploy()

    assert (result.plan.action, result.plan.live_version, result.plan.candidate_version) == ("update", 1, v2)
    desc = world.describe()
    assert desc["EndpointStatus"] == "InService"
    assert desc["EndpointConfigName"] == result.plan.config_name
    last = desc["LastDeploymentConfig"]
    if expected == "ROLLING":
        assert last["RollingUpdatePolicy"]["MaximumBatchSize"] == {"Type": "INSTANCE_COUNT", "Value": 1}
        assert last["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 30
    else:
        routing = last["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
        assert routing["Type"] == expected
        assert last["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"] == 10
    assert [a["AlarmName"] for a in last["AutoRollbackConfiguration"]["Alarms"]] == world.alarms
    assert tags_of(world, desc["EndpointArn"])["deployer:model-version"] == str(v2)
    status = world.deployer().plan()
    assert (status.live_version, status.action) == (v2, "no-op")
    assert world.dev_sm.describe_model(ModelName=result.plan.model_name)["Containers"][0]["ModelPackageName"] == arn2


def test_alarm_already_firing_stops_an_update_before_any_change(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    first = world.deployer().deploy()
    world.add_version()
    world.dev_cw.set_alarm_state(AlarmName=world.alarms[1], StateValue="ALARM", StateReason="latency too high")
    before = world.ours()

    assert cli(world, "deploy", "--stage", "dev") == 4

    err = capsys.readouterr().err
    assert f"error: rollback alarm(s) {world.alarms[1]} already in ALARM on {world.endpoint}: SageMaker would roll" in (
        err
    )
    assert "nothing was changed" in err and "Traceback" not in err
    assert world.ours() == before
    desc = world.describe()
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", first.plan.config_name)
    # autoscaling is untouched (it is suspended only once an update really starts)
    targets = world.dev_aas.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"endpoint/{world.endpoint}/variant/AllTraffic"]
    )
    assert len(targets["ScalableTargets"]) == 1


def test_silent_rollback_is_caught(world: World) -> None:
    world.add_version()
    first = world.deployer().deploy()
    world.add_version(fault="silent-rollback")

    with pytest.raises(RolledBackError) as exc:
        world.deployer().deploy()

    assert str(exc.value).startswith("silently rolled back: ")
    assert first.plan.config_name in str(exc.value)
    assert world.describe()["EndpointConfigName"] == first.plan.config_name


def test_failed_create_is_reported_then_recreated(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version(fault="fail-create")

    assert cli(world, "deploy", "--stage", "dev") == 4
    err = capsys.readouterr().err
    desc = world.describe()
    assert desc["EndpointStatus"] == "Failed"
    assert f"error: endpoint {world.endpoint} is Failed: {desc['FailureReason']}" in err

    v2, _ = world.add_version()
    plan = world.deployer().plan()
    assert plan.action == "create" and "Failed" in plan.reason
    result = world.deployer().deploy()
    desc = world.describe()
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", result.plan.config_name)
    assert result.plan.candidate_version == v2


def test_failed_update_reports_failure_reason(world: World) -> None:
    world.add_version()
    world.deployer().deploy()
    world.add_version(fault="fail-create")
    with pytest.raises(RolledBackError) as exc:
        world.deployer().deploy()
    assert str(exc.value).startswith("rolled back by SageMaker: ")
    assert world.describe()["EndpointStatus"] == "InService"
    assert isinstance(exc.value, RolledBackError) and not isinstance(exc.value, EndpointFailedError)


def test_plan_changes_nothing_and_names_rollback_after_rejection(world: World) -> None:
    world.add_version()
    plan = world.deployer().plan()
    assert (plan.action, plan.live_version) == ("create", None)
    assert world.ours() == {"models": [], "configs": [], "endpoints": []}

    world.deployer().deploy()
    _, arn2 = world.add_version()
    assert world.deployer().plan().action == "update"
    world.deployer().deploy()
    world.tooling_sm.update_model_package(ModelPackageArn=arn2, ModelApprovalStatus="Rejected")
    before = world.ours()

    plan = world.deployer().plan()
    assert (plan.action, plan.candidate_version, plan.live_version) == ("rollback", 1, 2)
    assert "Rejected" in plan.reason
    assert world.ours() == before


def test_pinned_older_version_rolls_back_and_newer_unapproved_is_refused(world: World) -> None:
    world.add_version()
    world.add_version()
    world.deployer().deploy()
    plan = world.deployer().plan(pinned=1)
    assert (plan.action, plan.candidate_version, plan.live_version) == ("rollback", 1, 2)
    result = world.deployer().deploy(pinned=1)
    assert world.describe()["EndpointConfigName"] == result.plan.config_name
    # back on v1 by operator's choice; the newest Approved (v2) is the candidate again
    assert world.deployer().plan().action == "update"


def test_cleanup_never_deletes_in_use_configs(world: World) -> None:
    world.add_version()
    live = world.deployer().deploy().plan
    sm = world.dev_sm
    extra = []
    owner = [{"Key": "deployer:endpoint", "Value": world.endpoint}]  # cleanup deletes only what carries it
    for n in (2, 3, 4):
        name = f"{world.endpoint}-v{n}-{n:08x}"
        sm.create_model(
            ModelName=name,
            ExecutionRoleArn=world.execution_role_arn,
            Containers=[{"ModelPackageName": live.candidate_arn}],
            Tags=owner,
        )
        sm.create_endpoint_config(
            EndpointConfigName=name,
            Tags=owner,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": name,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 2,
                }
            ],
        )
        extra.append(name)
    foreign = f"{world.endpoint}-manual"
    sm.create_endpoint_config(
        EndpointConfigName=foreign,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": live.model_name,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    target = world.deployer().target()

    # While an update is in flight nothing is deleted (its config is in PendingDeploymentSummary).
    # A 10-minute bake (6 s here) keeps it Updating however slow this machine is.
    sm.update_endpoint(
        EndpointName=world.endpoint,
        EndpointConfigName=extra[0],
        DeploymentConfig={
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 600},
                "TerminationWaitInSeconds": 0,
            }
        },
    )
    assert world.describe()["EndpointStatus"] == "Updating"
    assert cleanup(target, world.endpoint, keep=0) == []
    assert set(extra) <= set(world.ours()["configs"])
    wait_until_settled(target, world.endpoint, timeout=600, poll=0.1)
    assert world.describe()["EndpointConfigName"] == extra[0]

    deleted = cleanup(target, world.endpoint, keep=1)
    remaining = world.ours()
    # kept: the live config (extra[0]), the newest of ours (extra[2]) and the config we did not create
    assert sorted(remaining["configs"]) == sorted([extra[0], extra[2], foreign])
    # deleted: the first config (no longer live, not among the newest) and extra[1], then their models
    assert sorted(deleted) == sorted([live.config_name, extra[1], live.model_name, extra[1]])
    # models referenced by kept configs stay; unreferenced ones of ours go
    assert set(remaining["models"]) == {extra[0], extra[2]}
    assert world.describe()["EndpointStatus"] == "InService"

    assert cleanup(target, world.endpoint, keep=0) == [extra[2], extra[2]]  # config, then its model
    assert world.ours()["configs"] == sorted([extra[0], foreign])
    assert world.ours()["models"] == [extra[0]]
    assert DEV in world.describe()["EndpointArn"]
