"""Create-side fidelity of SageMaker hosting (issue 14): names already taken, a create that fails after
provisioning, models from packages without an InferenceSpecification, and alarms that start without data."""

from __future__ import annotations

import contextlib
import time

import pytest
from botocore.exceptions import ClientError

from sandbox.harness import TIME_SCALE
from tests.conftest import ACCOUNTS, REGION, Sandbox
from tests.sandbox.test_hosting import (
    DEV,
    FAST,
    IMAGE,
    ROLE,
    Unique,
    error_of,
    make_config,
    make_model,
    put_alarm,
    settled,
    sm,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("execution_role")


def test_endpoint_config_with_a_taken_name_is_refused_and_the_first_kept(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    model = make_model(client, unique("model"), FAST)
    config = make_config(client, unique("config"), model, count=2)
    with pytest.raises(ClientError) as exc:
        make_config(client, config, model, count=5)
    arn = f"arn:aws:sagemaker:{REGION}:{DEV}:endpoint-config/{config}"
    assert error_of(exc) == ("ValidationException", f'Cannot create already existing endpoint configuration "{arn}".')
    variants = client.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"]
    assert variants[0]["InitialInstanceCount"] == 2

    # Once deleted, the name is free again.
    client.delete_endpoint_config(EndpointConfigName=config)
    make_config(client, config, model, count=3)
    variants = client.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"]
    assert variants[0]["InitialInstanceCount"] == 3


def test_model_with_a_taken_name_is_refused(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    name = make_model(client, unique("model"), {"SANDBOX_MODEL_VERSION": "1"})
    with pytest.raises(ClientError) as exc:
        make_model(client, name, {"SANDBOX_MODEL_VERSION": "2"})
    arn = f"arn:aws:sagemaker:{REGION}:{DEV}:model/{name}"
    assert error_of(exc) == ("ValidationException", f'Cannot create already existing model "{arn}".')
    env = client.describe_model(ModelName=name)["Containers"][0]["Environment"]
    assert env["SANDBOX_MODEL_VERSION"] == "1"


def test_failed_create_stays_creating_for_its_provisioning_time(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    # 100 simulated seconds of provisioning: about one wall second at the suite's time scale.
    model = make_model(client, unique("model"), {"SANDBOX_FAULT": "fail-create", "SANDBOX_PROVISION_SECONDS": "100"})
    config = make_config(client, unique("config"), model)
    endpoint = unique("endpoint")
    started = time.monotonic()
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)

    creating = client.describe_endpoint(EndpointName=endpoint)
    assert creating["EndpointStatus"] == "Creating"
    assert "FailureReason" not in creating
    assert creating["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Creating"
    time.sleep(40 * TIME_SCALE)  # well inside the provisioning time
    assert client.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "Creating"

    failed = wait_for(client, endpoint, settled)
    elapsed = time.monotonic() - started
    assert failed["EndpointStatus"] == "Failed"
    assert "did not pass the ping health check" in failed["FailureReason"]
    assert elapsed >= 100 * TIME_SCALE * 0.9, elapsed
    # The failure is stamped when provisioning ended, not when the create was requested.
    took = (failed["LastModifiedTime"] - failed["CreationTime"]).total_seconds()
    assert took == pytest.approx(100 * TIME_SCALE, abs=0.05)
    assert failed["ProductionVariants"][0]["CurrentInstanceCount"] == 0


def _group(sandbox: Sandbox, name: str) -> None:
    with contextlib.suppress(ClientError):
        sm(sandbox, "tooling").create_model_package_group(ModelPackageGroupName=name)


def test_package_without_inference_spec_registers_but_cannot_be_hosted(sandbox: Sandbox, unique: Unique) -> None:
    group = unique("cards")
    _group(sandbox, group)
    tooling = sm(sandbox, "tooling")
    # A versioned package may leave InferenceSpecification out (a registered, unhosted model).
    arn = tooling.create_model_package(ModelPackageGroupName=group, ModelApprovalStatus="Approved")["ModelPackageArn"]
    assert arn.startswith(f"arn:aws:sagemaker:{REGION}:{ACCOUNTS['tooling']}:model-package/") and arn.endswith("/1")
    described = tooling.describe_model_package(ModelPackageName=arn)
    assert not described.get("InferenceSpecification")

    client = sm(sandbox)
    name = unique("model")
    with pytest.raises(ClientError) as exc:
        make_model(client, name, package_arn=arn)
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert message == (
        f"ModelPackage {arn} does not have an InferenceSpecification, so a model cannot be created from it."
    )
    with pytest.raises(ClientError):
        client.describe_model(ModelName=name)  # nothing was created

    # A version with one hosts as before.
    hosted = tooling.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://artifacts/{group}/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    make_model(client, unique("model"), package_arn=hosted)


def test_new_alarm_starts_in_insufficient_data_and_an_update_keeps_its_state(sandbox: Sandbox, unique: Unique) -> None:
    alarm = unique("alarm")
    cloudwatch = put_alarm(sandbox, alarm)
    found = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    assert found["StateValue"] == "INSUFFICIENT_DATA"
    assert found["StateReason"] == "Unchecked: Initial alarm creation"
    for state, listed in (("INSUFFICIENT_DATA", True), ("OK", False)):
        names = [a["AlarmName"] for a in cloudwatch.describe_alarms(StateValue=state)["MetricAlarms"]]
        assert (alarm in names) is listed, state

    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx")
    put_alarm(sandbox, alarm)  # PutMetricAlarm on an existing alarm overwrites its configuration only
    found = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    assert (found["StateValue"], found["StateReason"]) == ("ALARM", "5xx")


VPC = {"Subnets": ["subnet-0123456789abcdef0", "subnet-11111111"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}


def test_model_keeps_its_vpc_config_and_network_isolation(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    container = {"Image": IMAGE, "ModelDataUrl": "s3://artifacts/model.tar.gz"}
    isolated, plain = unique("model"), unique("model")
    client.create_model(
        ModelName=isolated,
        ExecutionRoleArn=ROLE,
        Containers=[container],
        VpcConfig=VPC,
        EnableNetworkIsolation=True,
    )
    client.create_model(ModelName=plain, ExecutionRoleArn=ROLE, Containers=[container])
    described = client.describe_model(ModelName=isolated)
    assert described["VpcConfig"] == VPC
    assert described["EnableNetworkIsolation"] is True
    assert client.describe_model(ModelName=plain)["EnableNetworkIsolation"] is False
    assert "VpcConfig" not in client.describe_model(ModelName=plain)


@pytest.mark.parametrize(
    ("vpc", "message"),
    [
        ({**VPC, "Subnets": [f"subnet-{i:08x}" for i in range(17)]}, "at 'vpcConfig.subnets' failed to satisfy"),
        ({**VPC, "SecurityGroupIds": [f"sg-{i:08x}" for i in range(6)]}, "less than or equal to 5"),
        ({**VPC, "Subnets": ["subnet_1"]}, "regular expression pattern: [-0-9a-zA-Z]+"),
    ],
)
def test_model_vpc_config_beyond_aws_limits_is_refused(
    sandbox: Sandbox, unique: Unique, vpc: dict[str, list[str]], message: str
) -> None:
    client = sm(sandbox)
    name = unique("model")
    with pytest.raises(ClientError) as exc:
        client.create_model(
            ModelName=name,
            ExecutionRoleArn=ROLE,
            Containers=[{"Image": IMAGE, "ModelDataUrl": "s3://artifacts/model.tar.gz"}],
            VpcConfig=vpc,
        )
    code, text = error_of(exc)
    assert code == "ValidationException"
    assert message in text
    with pytest.raises(ClientError):
        client.describe_model(ModelName=name)
