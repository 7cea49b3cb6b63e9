"""SageMaker hosting in the sandbox: endpoint states on simulated time, UpdateEndpoint guardrails, faults.

The session sandbox runs at SANDBOX_TIME_SCALE=0.01, so 100 simulated seconds take one wall second.
Most tests set SANDBOX_PROVISION_SECONDS on the model to keep provisioning short.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.harness import TIME_SCALE
from tests.conftest import ACCOUNTS, REGION, Sandbox
from tests.support.target import put_alarm as put_sagemaker_alarm

DEV = ACCOUNTS["dev"]
# SageMaker hosting acts as the models' execution role, so it must exist and read the artifacts.
pytestmark = pytest.mark.usefixtures("execution_role")
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/sklearn-inference:1.2-1"
ROLE = f"arn:aws:iam::{DEV}:role/churn-dev-sagemaker-execution"
FAST = {"SANDBOX_PROVISION_SECONDS": "10"}

Unique = Callable[[str], str]


def sm(sandbox: Sandbox, account: str = "dev", validate: bool = True) -> Any:
    session = sandbox.session(account)
    return session.client("sagemaker", endpoint_url=sandbox.url, config=Config(parameter_validation=validate))


def make_model(
    client: Any,
    name: str,
    env: dict[str, str] | None = None,
    package_arn: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> str:
    container: dict[str, Any] = {"Environment": env or {}}
    if package_arn:
        container["ModelPackageName"] = package_arn
    else:
        container.update({"Image": IMAGE, "ModelDataUrl": "s3://artifacts/model.tar.gz"})
    client.create_model(ModelName=name, ExecutionRoleArn=ROLE, Containers=[container], Tags=tags or [])
    return name


def make_config(
    client: Any,
    name: str,
    model: str,
    count: int = 2,
    variant: str = "AllTraffic",
    capture: dict[str, Any] | None = None,
) -> str:
    kwargs: dict[str, Any] = {}
    if capture is not None:
        kwargs["DataCaptureConfig"] = capture
    client.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": count,
                "InitialVariantWeight": 1.0,
            }
        ],
        **kwargs,
    )
    return name


def wait_for(
    client: Any, endpoint: str, until: Callable[[dict[str, Any]], bool], timeout: float = 30.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = client.describe_endpoint(EndpointName=endpoint)
        if until(described):
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"endpoint {endpoint} never reached the state; last: {described}")
        time.sleep(5 * TIME_SCALE)  # a poll per 5 s of the sandbox clock


def settled(described: dict[str, Any]) -> bool:
    return described["EndpointStatus"] in ("InService", "Failed")


def in_service_endpoint(
    client: Any,
    unique: Unique,
    env: dict[str, str] | None = None,
    count: int = 2,
    deployment_config: dict[str, Any] | None = None,
) -> tuple[str, str, str]:
    """(endpoint, config, model) for a fresh endpoint that is InService."""
    model = make_model(client, unique("model"), {**FAST, **(env or {})})
    config = make_config(client, unique("config"), model, count=count)
    endpoint = unique("endpoint")
    kwargs = {"DeploymentConfig": deployment_config} if deployment_config else {}
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config, **kwargs)
    assert wait_for(client, endpoint, settled)["EndpointStatus"] == "InService"
    return endpoint, config, model


def new_config(client: Any, unique: Unique, env: dict[str, str] | None = None, count: int = 2) -> str:
    model = make_model(client, unique("model"), {**FAST, **(env or {})})
    return make_config(client, unique("config"), model, count=count)


def canary(size: dict[str, Any], wait: int, termination: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "CANARY", "CanarySize": size, "WaitIntervalInSeconds": wait},
            "TerminationWaitInSeconds": termination,
            **extra,
        }
    }


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = exc.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def put_alarm(sandbox: Sandbox, name: str) -> Any:
    cloudwatch = sandbox.client("cloudwatch", "dev")
    put_sagemaker_alarm(cloudwatch, name)
    return cloudwatch


# ---------------------------------------------------------------- create


def test_create_is_creating_then_in_service_after_about_a_second(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    model = make_model(client, unique("model"))  # default provisioning: 100 simulated seconds
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://churn-dev-data-capture/capture",
        "KmsKeyId": f"arn:aws:kms:{REGION}:{DEV}:key/00000000-0000-0000-0000-000000000000",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    config = make_config(client, unique("config"), model, count=2, capture=capture)
    endpoint = unique("endpoint")
    started = time.monotonic()
    arn = client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)["EndpointArn"]

    creating = client.describe_endpoint(EndpointName=endpoint)
    assert creating["EndpointArn"] == arn
    assert creating["EndpointStatus"] == "Creating"
    assert creating["EndpointConfigName"] == config
    assert creating["ProductionVariants"][0]["CurrentInstanceCount"] == 0
    assert creating["ProductionVariants"][0]["DesiredInstanceCount"] == 2
    assert creating["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Creating"
    assert "PendingDeploymentSummary" not in creating
    listed = client.list_endpoints(NameContains=endpoint, StatusEquals="Creating")["Endpoints"]
    assert [e["EndpointName"] for e in listed] == [endpoint]

    done = wait_for(client, endpoint, settled)
    elapsed = time.monotonic() - started
    assert done["EndpointStatus"] == "InService"
    assert 0.5 <= elapsed <= 5.0, elapsed
    assert "FailureReason" not in done
    variant = done["ProductionVariants"][0]
    assert variant["VariantName"] == "AllTraffic"
    assert variant["CurrentInstanceCount"] == 2 and variant["DesiredInstanceCount"] == 2
    assert variant["CurrentWeight"] == 1.0
    assert variant["DeployedImages"][0]["SpecifiedImage"] == IMAGE
    assert variant["DeployedImages"][0]["ResolvedImage"].startswith(IMAGE.rsplit(":", 1)[0] + "@sha256:")
    assert done["DataCaptureConfig"] == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 20,
        "DestinationS3Uri": "s3://churn-dev-data-capture/capture",
        "KmsKeyId": capture["KmsKeyId"],
    }
    assert done["LastModifiedTime"] > done["CreationTime"]
    assert client.list_endpoints(NameContains=endpoint)["Endpoints"][0]["EndpointStatus"] == "InService"


def test_create_with_fail_create_ends_failed_and_cannot_be_updated(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    model = make_model(client, unique("model"), {**FAST, "SANDBOX_FAULT": "fail-create"})
    config = make_config(client, unique("config"), model)
    endpoint = unique("endpoint")
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)

    failed = wait_for(client, endpoint, settled)
    assert failed["EndpointStatus"] == "Failed"
    assert failed["FailureReason"] == (
        "The primary container for production variant AllTraffic did not pass the ping health check. "
        "Please check CloudWatch logs for this endpoint."
    )
    with pytest.raises(ClientError) as exc:
        client.update_endpoint(EndpointName=endpoint, EndpointConfigName=new_config(client, unique))
    assert error_of(exc) == ("ValidationException", f'Cannot update failed endpoint "{failed["EndpointArn"]}".')
    client.delete_endpoint(EndpointName=endpoint)
    with pytest.raises(ClientError) as exc:
        client.describe_endpoint(EndpointName=endpoint)
    assert error_of(exc) == ("ValidationException", f'Could not find endpoint "{failed["EndpointArn"]}".')


def test_busy_endpoint_refuses_update_and_delete(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    model = make_model(client, unique("model"))
    config = make_config(client, unique("config"), model)
    endpoint = unique("endpoint")
    arn = client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)["EndpointArn"]
    busy = ("ValidationException", f'Cannot update in-progress endpoint "{arn}".')
    calls: list[Callable[[], Any]] = [
        lambda: client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config),
        lambda: client.delete_endpoint(EndpointName=endpoint),
        lambda: client.update_endpoint_weights_and_capacities(
            EndpointName=endpoint, DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredWeight": 2.0}]
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == busy
    wait_for(client, endpoint, settled)

    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=new_config(client, unique))
    assert client.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "Updating"
    with pytest.raises(ClientError) as exc:
        client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    assert error_of(exc) == busy
    with pytest.raises(ClientError) as exc:
        client.delete_endpoint(EndpointName=endpoint)
    assert error_of(exc) == busy


def test_duplicate_endpoint_and_unknown_names(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, config, _ = in_service_endpoint(client, unique)
    arn = f"arn:aws:sagemaker:{REGION}:{DEV}:endpoint/{endpoint}"
    with pytest.raises(ClientError) as exc:
        client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    assert error_of(exc) == ("ValidationException", f'Cannot create already existing endpoint "{arn}".')
    with pytest.raises(ClientError) as exc:
        client.update_endpoint(EndpointName=endpoint, EndpointConfigName="no-such-config")
    missing_config = f"arn:aws:sagemaker:{REGION}:{DEV}:endpoint-config/no-such-config"
    assert error_of(exc) == ("ValidationException", f'Could not find endpoint configuration "{missing_config}".')
    with pytest.raises(ClientError) as exc:
        client.update_endpoint(EndpointName="no-such-endpoint", EndpointConfigName=config)
    missing = f"arn:aws:sagemaker:{REGION}:{DEV}:endpoint/no-such-endpoint"
    assert error_of(exc) == ("ValidationException", f'Could not find endpoint "{missing}".')
    # A refused update changes nothing.
    assert client.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService"


# ---------------------------------------------------------------- CreateModel fixes


def test_create_model_refuses_duplicates_and_unknown_packages(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    name = make_model(client, unique("model"))
    with pytest.raises(ClientError) as exc:
        make_model(client, name)
    arn = f"arn:aws:sagemaker:{REGION}:{DEV}:model/{name}"
    assert error_of(exc) == ("ValidationException", f'Cannot create already existing model "{arn}".')

    ghost = f"arn:aws:sagemaker:{REGION}:{ACCOUNTS['tooling']}:model-package/{unique('nogroup')}/1"
    with pytest.raises(ClientError) as exc:
        make_model(client, unique("model"), package_arn=ghost)
    assert error_of(exc) == ("ValidationException", f"ModelPackage {ghost} does not exist.")
    with pytest.raises(ClientError):
        client.describe_model(ModelName=name + "-never")


# ---------------------------------------------------------------- updates


def test_all_at_once_update_shows_pending_summary_then_switches(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, old_config, _ = in_service_endpoint(client, unique)
    before = client.describe_endpoint(EndpointName=endpoint)
    target = new_config(client, unique, count=3)
    policy = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 200},
            "TerminationWaitInSeconds": 0,
            "MaximumExecutionTimeoutInSeconds": 1800,
        }
    }
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, DeploymentConfig=policy)

    updating = client.describe_endpoint(EndpointName=endpoint)
    assert updating["EndpointStatus"] == "Updating"
    assert updating["EndpointConfigName"] == old_config
    assert updating["LastDeploymentConfig"] == policy
    assert updating["LastModifiedTime"] > before["LastModifiedTime"]
    pending = updating["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == target
    assert pending["ProductionVariants"][0]["DesiredInstanceCount"] == 3
    assert pending["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"
    assert "StartTime" in pending

    baking = wait_for(
        client,
        endpoint,
        lambda d: d["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Baking",
    )
    green = baking["PendingDeploymentSummary"]["ProductionVariants"][0]
    assert green["CurrentWeight"] == 1.0 and green["CurrentInstanceCount"] == 3
    assert baking["ProductionVariants"][0]["CurrentWeight"] == 0.0

    done = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")
    assert done["EndpointConfigName"] == target
    assert "PendingDeploymentSummary" not in done and "FailureReason" not in done
    assert done["ProductionVariants"][0]["CurrentInstanceCount"] == 3
    assert done["LastModifiedTime"] > updating["LastModifiedTime"]
    assert done["CreationTime"] == before["CreationTime"]


def test_canary_update_with_ten_minutes_of_waits_finishes_fast(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, _, _ = in_service_endpoint(client, unique, count=4)
    target = new_config(client, unique, count=4)
    # Two 300 s bakes (after the canary and after the full shift): ten minutes of AWS time.
    policy = canary({"Type": "INSTANCE_COUNT", "Value": 1}, wait=300, MaximumExecutionTimeoutInSeconds=3600)
    started = time.monotonic()
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, DeploymentConfig=policy)

    shares: set[float] = set()

    def note(described: dict[str, Any]) -> bool:
        pending = described.get("PendingDeploymentSummary")
        if pending:
            shares.add(pending["ProductionVariants"][0]["CurrentWeight"])
        return bool(described["EndpointStatus"] == "InService")

    done = wait_for(client, endpoint, note, timeout=20)
    elapsed = time.monotonic() - started
    assert done["EndpointConfigName"] == target
    assert elapsed < 10.0, elapsed
    assert elapsed > 5.0, elapsed  # the bakes really were waited out
    assert {0.0, 0.25, 1.0} <= shares, shares


def test_linear_update_shifts_in_steps(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, _, _ = in_service_endpoint(client, unique, count=4)
    target = new_config(client, unique, count=4)
    policy = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "LINEAR",
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                "WaitIntervalInSeconds": 60,
            },
        }
    }
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, DeploymentConfig=policy)
    shares: list[float] = []

    def note(described: dict[str, Any]) -> bool:
        pending = described.get("PendingDeploymentSummary")
        if pending:
            share = pending["ProductionVariants"][0]["CurrentWeight"]
            blue = described["ProductionVariants"][0]["CurrentWeight"]
            assert share + blue == pytest.approx(1.0)
            if not shares or shares[-1] != share:
                shares.append(share)
        return bool(described["EndpointStatus"] == "InService")

    done = wait_for(client, endpoint, note)
    assert done["EndpointConfigName"] == target
    assert shares == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_rolling_update_replaces_instances_in_batches(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, _, _ = in_service_endpoint(client, unique, count=4)
    target = new_config(client, unique, count=4)
    policy = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 2},
            "WaitIntervalInSeconds": 60,
            "MaximumExecutionTimeoutInSeconds": 1200,
            "RollbackMaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 4},
        }
    }
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, DeploymentConfig=policy)
    counts: list[tuple[int, int]] = []

    def note(described: dict[str, Any]) -> bool:
        pending = described.get("PendingDeploymentSummary")
        if pending:
            pair = (
                described["ProductionVariants"][0]["CurrentInstanceCount"],
                pending["ProductionVariants"][0]["CurrentInstanceCount"],
            )
            if not counts or counts[-1] != pair:
                counts.append(pair)
        return bool(described["EndpointStatus"] == "InService")

    done = wait_for(client, endpoint, note)
    assert done["EndpointConfigName"] == target
    assert done["LastDeploymentConfig"] == policy
    assert counts[0] == (4, 0)
    assert (2, 2) in counts and (0, 4) in counts


def test_update_without_policy_switches_after_provisioning(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, _, _ = in_service_endpoint(client, unique)
    target = new_config(client, unique)
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target)
    done = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService", timeout=5)
    assert done["EndpointConfigName"] == target
    assert "LastDeploymentConfig" not in done


# ---------------------------------------------------------------- rollbacks


def test_alarm_in_alarm_during_bake_rolls_back_to_old_config(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    alarm = unique("alarm-5xx")
    cloudwatch = put_alarm(sandbox, alarm)
    endpoint, old_config, _ = in_service_endpoint(client, unique)
    target = new_config(client, unique)
    policy = canary({"Type": "CAPACITY_PERCENT", "Value": 50}, wait=600)
    policy["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": alarm}]}
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, DeploymentConfig=policy)

    baking = wait_for(
        client, endpoint, lambda d: d["PendingDeploymentSummary"]["ProductionVariants"][0]["CurrentWeight"] == 0.5
    )
    assert baking["EndpointStatus"] == "Updating"
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx errors on the canary")

    rolled = wait_for(client, endpoint, lambda d: d["EndpointStatus"] != "Updating", timeout=5)
    assert rolled["EndpointStatus"] == "InService"
    assert rolled["EndpointConfigName"] == old_config
    assert alarm in rolled["FailureReason"] and "ALARM" in rolled["FailureReason"]
    assert "PendingDeploymentSummary" not in rolled
    assert rolled["ProductionVariants"][0]["CurrentWeight"] == 1.0

    # The next update clears FailureReason, as in AWS.
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="recovered")
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=new_config(client, unique))
    assert "FailureReason" not in client.describe_endpoint(EndpointName=endpoint)


def test_alarm_already_firing_rolls_back_at_the_first_bake(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    alarm = unique("alarm-latency")
    cloudwatch = put_alarm(sandbox, alarm)
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="already firing")
    endpoint, old_config, _ = in_service_endpoint(client, unique)
    policy = canary({"Type": "CAPACITY_PERCENT", "Value": 10}, wait=3600)
    policy["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": unique("unrelated")}, {"AlarmName": alarm}]}
    started = time.monotonic()
    client.update_endpoint(
        EndpointName=endpoint, EndpointConfigName=new_config(client, unique), DeploymentConfig=policy
    )
    rolled = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService", timeout=5)
    assert time.monotonic() - started < 3
    assert rolled["EndpointConfigName"] == old_config
    assert f"[{alarm}]" in rolled["FailureReason"]


def test_insufficient_data_does_not_roll_back(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    alarm = unique("alarm-nodata")
    cloudwatch = put_alarm(sandbox, alarm)
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="INSUFFICIENT_DATA", StateReason="no datapoints")
    endpoint, _, _ = in_service_endpoint(client, unique)
    target = new_config(client, unique)
    policy = canary({"Type": "CAPACITY_PERCENT", "Value": 50}, wait=50, termination=20)
    policy["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": alarm}]}
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, DeploymentConfig=policy)
    done = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")
    assert done["EndpointConfigName"] == target
    assert "FailureReason" not in done


def test_silent_rollback_returns_to_old_config_without_reason(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, old_config, _ = in_service_endpoint(client, unique)
    target = new_config(client, unique, env={"SANDBOX_FAULT": "silent-rollback"})
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target)
    assert client.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "Updating"
    done = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")
    assert done["EndpointConfigName"] == old_config
    assert "FailureReason" not in done


def test_unhealthy_new_fleet_rolls_back_with_reason(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, old_config, _ = in_service_endpoint(client, unique)
    target = new_config(client, unique, env={"SANDBOX_FAULT": "fail-create"})
    client.update_endpoint(
        EndpointName=endpoint,
        EndpointConfigName=target,
        DeploymentConfig=canary({"Type": "CAPACITY_PERCENT", "Value": 20}, wait=300),
    )
    done = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")
    assert done["EndpointConfigName"] == old_config
    assert "did not pass the ping health check" in done["FailureReason"]


def test_deployment_longer_than_its_timeout_rolls_back(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, old_config, _ = in_service_endpoint(client, unique)
    policy = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 900},
            "MaximumExecutionTimeoutInSeconds": 600,
        }
    }
    client.update_endpoint(
        EndpointName=endpoint, EndpointConfigName=new_config(client, unique), DeploymentConfig=policy
    )
    done = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService", timeout=15)
    assert done["EndpointConfigName"] == old_config
    assert "MaximumExecutionTimeoutInSeconds (600 seconds)" in done["FailureReason"]


# ---------------------------------------------------------------- deployment config kept and retained


def test_create_endpoint_deployment_config_is_kept_and_governs_later_updates(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    policy = canary({"Type": "CAPACITY_PERCENT", "Value": 50}, wait=3600)
    endpoint, _, _ = in_service_endpoint(client, unique, deployment_config=policy)
    assert client.describe_endpoint(EndpointName=endpoint)["LastDeploymentConfig"] == policy

    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=new_config(client, unique))
    baking = wait_for(
        client, endpoint, lambda d: d["PendingDeploymentSummary"]["ProductionVariants"][0]["CurrentWeight"] > 0
    )
    # The create-time canary (50%) drives the update that passed no DeploymentConfig.
    assert baking["PendingDeploymentSummary"]["ProductionVariants"][0]["CurrentWeight"] == 0.5
    assert baking["LastDeploymentConfig"] == policy


def test_retain_deployment_config_reuses_the_last_one(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, _, _ = in_service_endpoint(client, unique)
    policy = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 10},
            "TerminationWaitInSeconds": 10,
        }
    }
    client.update_endpoint(
        EndpointName=endpoint, EndpointConfigName=new_config(client, unique), DeploymentConfig=policy
    )
    wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")
    target = new_config(client, unique)
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=target, RetainDeploymentConfig=True)
    updating = client.describe_endpoint(EndpointName=endpoint)
    assert updating["LastDeploymentConfig"] == policy
    assert wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")["EndpointConfigName"] == target


def test_retain_all_variant_properties_keeps_live_counts(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, _, _ = in_service_endpoint(client, unique, count=2)
    client.update_endpoint_weights_and_capacities(
        EndpointName=endpoint, DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 3}]
    )
    assert client.describe_endpoint(EndpointName=endpoint)["ProductionVariants"][0]["CurrentInstanceCount"] == 3
    client.update_endpoint(
        EndpointName=endpoint, EndpointConfigName=new_config(client, unique, count=5), RetainAllVariantProperties=True
    )
    done = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService")
    assert done["ProductionVariants"][0]["DesiredInstanceCount"] == 3


# ---------------------------------------------------------------- validation

CANARY_2 = {"Type": "INSTANCE_COUNT", "Value": 2}
ROUTING = "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration"


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            canary({"Type": "INSTANCE_COUNT", "Value": 3}, wait=60),
            "CanarySize 3 instance(s) is invalid for production variant 'AllTraffic' with 4 instance(s): "
            "the canary must be at most 50% of the variant's total instance count.",
        ),
        (
            canary({"Type": "CAPACITY_PERCENT", "Value": 60}, wait=60),
            "CanarySize 60% is invalid for production variant 'AllTraffic' with 4 instance(s): "
            "the canary must be at most 50% of the variant's total instance count.",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "LINEAR",
                        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 5},
                        "WaitIntervalInSeconds": 60,
                    }
                }
            },
            "LinearStepSize 5% is invalid for production variant 'AllTraffic' with 4 instance(s): "
            "each step must be between 10% and 50% of the variant's total instance count.",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "LINEAR",
                        "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 3},
                        "WaitIntervalInSeconds": 60,
                    }
                }
            },
            "LinearStepSize 3 instance(s) is invalid for production variant 'AllTraffic' with 4 instance(s): "
            "each step must be between 10% and 50% of the variant's total instance count.",
        ),
        (
            canary(CANARY_2, wait=4000),
            f"1 validation error detected: Value '4000' at '{ROUTING}.waitIntervalInSeconds' failed to satisfy "
            "constraint: Member must have value less than or equal to 3600",
        ),
        (
            canary(CANARY_2, wait=60, termination=3601),
            "1 validation error detected: Value '3601' at 'deploymentConfig.blueGreenUpdatePolicy."
            "terminationWaitInSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600",
        ),
        (
            canary(CANARY_2, wait=60, MaximumExecutionTimeoutInSeconds=30000),
            "1 validation error detected: Value '30000' at 'deploymentConfig.blueGreenUpdatePolicy."
            "maximumExecutionTimeoutInSeconds' failed to satisfy constraint: Member must have value less than or "
            "equal to 28800",
        ),
        (
            canary(CANARY_2, wait=-1, MaximumExecutionTimeoutInSeconds=599),
            f"2 validation errors detected: Value '-1' at '{ROUTING}.waitIntervalInSeconds' failed to satisfy "
            "constraint: Member must have value greater than or equal to 0; Value '599' at "
            "'deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds' failed to satisfy "
            "constraint: Member must have value greater than or equal to 600",
        ),
        (
            {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 0}}},
            "CanarySize must be specified when TrafficRoutingConfiguration Type is CANARY.",
        ),
        (
            {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "SLOW", "WaitIntervalInSeconds": 0}}},
            f"1 validation error detected: Value 'SLOW' at '{ROUTING}.type' failed to satisfy constraint: "
            "Member must satisfy enum value set: [ALL_AT_ONCE, CANARY, LINEAR]",
        ),
        (
            {
                **canary(CANARY_2, wait=60),
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 60,
                },
            },
            "Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy can be set in DeploymentConfig.",
        ),
        (
            {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 3},
                    "WaitIntervalInSeconds": 0,
                }
            },
            "MaximumBatchSize 3 instance(s) is invalid for production variant 'AllTraffic' with 4 instance(s): "
            "the batch must be between 5% and 50% of the variant's total instance count.",
        ),
    ],
    ids=[
        "canary-count",
        "canary-percent",
        "linear-small",
        "linear-large",
        "wait",
        "termination",
        "timeout-max",
        "below-minimums",
        "canary-no-size",
        "bad-type",
        "both-policies",
        "rolling-batch",
    ],
)
def test_invalid_deployment_config_is_refused(
    sandbox: Sandbox, unique: Unique, policy: dict[str, Any], message: str
) -> None:
    client = sm(sandbox, validate=False)  # botocore would refuse the below-minimum values itself
    endpoint, config, _ = in_service_endpoint(client, unique, count=4)
    with pytest.raises(ClientError) as exc:
        client.update_endpoint(
            EndpointName=endpoint, EndpointConfigName=new_config(client, unique, count=4), DeploymentConfig=policy
        )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(exc) == ("ValidationException", message)
    unchanged = client.describe_endpoint(EndpointName=endpoint)
    assert unchanged["EndpointStatus"] == "InService" and unchanged["EndpointConfigName"] == config


def test_invalid_deployment_config_on_create_is_refused(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    config = new_config(client, unique, count=1)
    endpoint = unique("endpoint")
    with pytest.raises(ClientError) as exc:
        client.create_endpoint(
            EndpointName=endpoint, EndpointConfigName=config, DeploymentConfig=canary(CANARY_2, wait=60)
        )
    code, message = error_of(exc)
    assert code == "ValidationException" and message.startswith("CanarySize 2 instance(s) is invalid")
    assert client.list_endpoints(NameContains=endpoint)["Endpoints"] == []


# ---------------------------------------------------------------- the deployer's cross-account shape


def register_version(sandbox: Sandbox, group: str, env: dict[str, str] | None = None) -> str:
    """A new Approved version in the tooling account's group; returns its ARN."""
    tooling = sm(sandbox, "tooling")
    with contextlib.suppress(ClientError):  # the group exists from an earlier version
        tooling.create_model_package_group(ModelPackageGroupName=group)
    arn: str = tooling.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [
                {"Image": IMAGE, "ModelDataUrl": f"s3://artifacts/{group}/model.tar.gz", "Environment": env or {}}
            ],
            "SupportedContentTypes": ["text/csv", "application/json"],
            "SupportedResponseMIMETypes": ["text/csv", "application/json"],
        },
    )["ModelPackageArn"]
    return arn


def test_dev_endpoint_from_tooling_package_and_package_faults(sandbox: Sandbox, unique: Unique) -> None:
    group = unique("churn")
    v1 = register_version(sandbox, group, FAST)
    v2 = register_version(sandbox, group, {**FAST, "SANDBOX_FAULT": "fail-create"})
    assert v1.startswith(f"arn:aws:sagemaker:{REGION}:{ACCOUNTS['tooling']}:model-package/") and v1.endswith("/1")
    client = sm(sandbox, "dev")
    model_v1 = make_model(client, unique("model"), package_arn=v1)
    config_v1 = make_config(client, unique("config"), model_v1)
    endpoint = unique("endpoint")
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config_v1)
    live = wait_for(client, endpoint, settled, timeout=5)
    assert live["EndpointStatus"] == "InService"
    assert live["ProductionVariants"][0]["DeployedImages"][0]["SpecifiedImage"] == IMAGE

    # The fault marker lives in the tooling account's package, not in the dev model.
    model_v2 = make_model(client, unique("model"), package_arn=v2)
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=make_config(client, unique("config"), model_v2))
    rolled = wait_for(client, endpoint, lambda d: d["EndpointStatus"] == "InService", timeout=5)
    assert rolled["EndpointConfigName"] == config_v1
    assert "did not pass the ping health check" in rolled["FailureReason"]
