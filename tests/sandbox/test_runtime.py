"""sagemaker-runtime InvokeEndpoint in the sandbox: per-endpoint answers that name the version and fleet."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNTS, REGION, Sandbox
from tests.sandbox.test_hosting import (
    FAST,
    Unique,
    canary,
    error_of,
    in_service_endpoint,
    make_config,
    make_model,
    register_version,
    settled,
    sm,
    wait_for,
)
from tests.support.target import put_alarm as put_sagemaker_alarm

DEV = ACCOUNTS["dev"]
# SageMaker hosting acts as the models' execution role, so it must exist and read the artifacts.
pytestmark = pytest.mark.usefixtures("execution_role")


def runtime(sandbox: Sandbox, account: str = "dev") -> Any:
    return sandbox.client("sagemaker-runtime", account)


def endpoint_for_version(sandbox: Sandbox, unique: Unique, package_arn: str, count: int = 2) -> str:
    client = sm(sandbox)
    model = make_model(client, unique("model"), package_arn=package_arn)
    config = make_config(client, unique("config"), model, count=count, variant="Primary")
    endpoint = unique("endpoint")
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    assert wait_for(client, endpoint, settled, timeout=5)["EndpointStatus"] == "InService"
    return endpoint


def attributes(answer: dict[str, Any]) -> dict[str, str]:
    return dict(part.split("=", 1) for part in answer["CustomAttributes"].split(";"))


def test_unknown_endpoint_is_a_validation_error(sandbox: Sandbox, unique: Unique) -> None:
    name = unique("nowhere")
    with pytest.raises(ClientError) as exc:
        runtime(sandbox).invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"1,2")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(exc) == ("ValidationError", f"Endpoint {name} of account {DEV} not found.")


def test_endpoint_that_is_not_serving_answers_not_found(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    model = make_model(client, unique("model"))
    endpoint = unique("endpoint")
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=make_config(client, unique("config"), model))
    with pytest.raises(ClientError) as exc:
        runtime(sandbox).invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1,2")
    assert error_of(exc) == ("ValidationError", f"Endpoint {endpoint} of account {DEV} not found.")
    # Another account does not see dev's endpoint at all.
    wait_for(client, endpoint, settled)
    with pytest.raises(ClientError) as exc:
        runtime(sandbox, "staging").invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1")
    assert error_of(exc) == ("ValidationError", f"Endpoint {endpoint} of account {ACCOUNTS['staging']} not found.")


def test_csv_and_json_answers_name_the_tooling_package_version(sandbox: Sandbox, unique: Unique) -> None:
    group = unique("churn")
    v1 = register_version(sandbox, group, FAST)
    v2 = register_version(sandbox, group, FAST)
    endpoint = endpoint_for_version(sandbox, unique, v2)
    rt = runtime(sandbox)

    csv_answer = rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1,2,3\n4,5,6\n7,8,9\n")
    assert csv_answer["ContentType"] == "text/csv"
    assert csv_answer["InvokedProductionVariant"] == "Primary"
    assert attributes(csv_answer) == {"model_package_arn": v2, "model_version": "2", "fleet": "blue"}
    rows = csv_answer["Body"].read().decode().splitlines()
    assert len(rows) == 3
    assert all(0.0 <= float(value) < 1.0 for value in rows)

    as_list = rt.invoke_endpoint(
        EndpointName=endpoint, ContentType="application/json", Body=json.dumps([[1, 2, 3], [4, 5, 6]])
    )
    assert as_list["ContentType"] == "application/json"
    predictions = json.loads(as_list["Body"].read())["predictions"]
    assert len(predictions) == 2
    as_instances = rt.invoke_endpoint(
        EndpointName=endpoint, ContentType="application/json", Body=json.dumps({"instances": [[1, 2, 3], [4, 5, 6]]})
    )
    assert json.loads(as_instances["Body"].read())["predictions"] == predictions

    # Deterministic per (row, version): the same row gives the same score, another version another score.
    again = rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1,2,3\n")
    assert again["Body"].read().decode().strip() == rows[0]
    other = endpoint_for_version(sandbox, unique, v1)
    from_v1 = rt.invoke_endpoint(EndpointName=other, ContentType="text/csv", Body=b"1,2,3\n4,5,6\n7,8,9\n")
    assert attributes(from_v1)["model_version"] == "1"
    assert from_v1["Body"].read().decode().splitlines() != rows


def test_no_stale_answers_across_endpoints(sandbox: Sandbox, unique: Unique) -> None:
    group = unique("fraud")
    versions = [register_version(sandbox, group, FAST) for _ in range(3)]
    endpoints = [endpoint_for_version(sandbox, unique, arn) for arn in versions[1:]]
    rt = runtime(sandbox)
    seen = []
    for endpoint in endpoints * 2:
        answer = rt.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=b"[[0.5, 1.5]]")
        seen.append((attributes(answer)["model_version"], json.loads(answer["Body"].read())["predictions"][0]))
    assert [v for v, _ in seen] == ["2", "3", "2", "3"]
    assert seen[0] == seen[2] and seen[1] == seen[3] and seen[0][1] != seen[1][1]


def test_model_without_package_reports_its_tagged_version(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    model = make_model(client, unique("model"), FAST, tags=[{"Key": "model_version", "Value": "7"}])
    endpoint = unique("endpoint")
    client.create_endpoint(EndpointName=endpoint, EndpointConfigName=make_config(client, unique("config"), model))
    wait_for(client, endpoint, settled)
    answer = runtime(sandbox).invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1")
    assert attributes(answer) == {"model_package_arn": "", "model_version": "7", "fleet": "blue"}


def test_canary_split_is_visible_in_invocations(sandbox: Sandbox, unique: Unique) -> None:
    group = unique("canary")
    v1 = register_version(sandbox, group, FAST)
    v2 = register_version(sandbox, group, FAST)
    client = sm(sandbox)
    endpoint = endpoint_for_version(sandbox, unique, v1, count=4)
    model_v2 = make_model(client, unique("model"), package_arn=v2)
    config_v2 = make_config(client, unique("config"), model_v2, count=4, variant="Primary")
    # 25 % of 4 instances is one whole instance (SageMaker sizes a canary in instances): a quarter of the traffic.
    policy = canary({"Type": "CAPACITY_PERCENT", "Value": 25}, wait=3600)  # a 36 s canary bake
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config_v2, DeploymentConfig=policy)
    rt = runtime(sandbox)

    # While green provisions, blue serves everything.
    assert attributes(rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1"))["fleet"] == "blue"
    wait_for(client, endpoint, lambda d: d["PendingDeploymentSummary"]["ProductionVariants"][0]["CurrentWeight"] > 0)
    served = [
        attributes(rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1")) for _ in range(100)
    ]
    green = [a for a in served if a["fleet"] == "green"]
    blue = [a for a in served if a["fleet"] == "blue"]
    assert len(green) == 25 and len(blue) == 75
    assert {a["model_version"] for a in green} == {"2"} and {a["model_package_arn"] for a in green} == {v2}
    assert {a["model_version"] for a in blue} == {"1"}
    assert client.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "Updating"


def test_after_alarm_rollback_the_old_version_serves(sandbox: Sandbox, unique: Unique) -> None:
    group = unique("rollback")
    v1 = register_version(sandbox, group, FAST)
    v2 = register_version(sandbox, group, FAST)
    client = sm(sandbox)
    endpoint = endpoint_for_version(sandbox, unique, v1)
    alarm = unique("alarm")
    cloudwatch = sandbox.client("cloudwatch", "dev")
    put_sagemaker_alarm(
        cloudwatch,
        alarm,
        metric="ModelLatency",
        statistic="Average",
        threshold=1000.0,
        comparison="GreaterThanThreshold",
    )
    policy = canary({"Type": "CAPACITY_PERCENT", "Value": 50}, wait=3600)
    policy["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": alarm}]}
    model_v2 = make_model(client, unique("model"), package_arn=v2)
    config_v2 = make_config(client, unique("config"), model_v2, variant="Primary")
    client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config_v2, DeploymentConfig=policy)
    wait_for(client, endpoint, lambda d: d["PendingDeploymentSummary"]["ProductionVariants"][0]["CurrentWeight"] > 0)
    rt = runtime(sandbox)
    fleets = {
        attributes(rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1"))["fleet"]
        for _ in range(4)
    }
    assert fleets == {"blue", "green"}

    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="latency")  # type: ignore[attr-defined]
    after = [attributes(rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1")) for _ in range(4)]
    assert {a["model_version"] for a in after} == {"1"} and {a["fleet"] for a in after} == {"blue"}
    described = client.describe_endpoint(EndpointName=endpoint)
    assert described["EndpointStatus"] == "InService" and alarm in described["FailureReason"]


def test_model_error_fault_answers_424_with_aws_fields(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, _, _ = in_service_endpoint(client, unique, env={"SANDBOX_FAULT": "model-error"})
    with pytest.raises(ClientError) as exc:
        runtime(sandbox).invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1,2")
    response = exc.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    code, message = error_of(exc)
    assert code == "ModelError"
    assert message.startswith("Received server error (500) from primary with message")
    assert f"/aws/sagemaker/Endpoints/{endpoint}" in message and DEV in message
    assert response["OriginalStatusCode"] == 500
    assert "SANDBOX_FAULT=model-error" in response["OriginalMessage"]
    assert response["LogStreamArn"] == f"arn:aws:logs:{REGION}:{DEV}:log-group:/aws/sagemaker/Endpoints/{endpoint}"


def test_bad_payloads_are_model_errors_from_the_container(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    endpoint, _, _ = in_service_endpoint(client, unique)
    rt = runtime(sandbox)
    with pytest.raises(ClientError) as exc:
        rt.invoke_endpoint(EndpointName=endpoint, ContentType="image/png", Body=b"\x89PNG")
    assert error_of(exc)[0] == "ModelError" and exc.value.response["OriginalStatusCode"] == 415
    with pytest.raises(ClientError) as exc:
        rt.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=b"{not json")
    assert error_of(exc)[0] == "ModelError" and exc.value.response["OriginalStatusCode"] == 400
    assert error_of(exc)[1].startswith("Received client error (400) from primary")


def test_latency_fault_delays_each_invocation(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    slow, _, _ = in_service_endpoint(client, unique, env={"SANDBOX_LATENCY_MS": "400"})
    fast, _, _ = in_service_endpoint(client, unique)
    rt = runtime(sandbox)
    timings = {}
    for name in (slow, fast):
        started = time.monotonic()
        rt.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"1")
        timings[name] = time.monotonic() - started
    assert timings[slow] >= 0.4
    assert timings[fast] < 0.3


def test_constant_prediction_marker_answers_one_number_for_every_row(sandbox: Sandbox, unique: Unique) -> None:
    constant, _, _ = in_service_endpoint(sm(sandbox), unique, env={"SANDBOX_CONSTANT_PREDICTION": "0.25"})
    rt = runtime(sandbox)
    csv_answer = rt.invoke_endpoint(EndpointName=constant, ContentType="text/csv", Body=b"1,2\n3,4\n")
    assert csv_answer["Body"].read().decode() == "0.25\n0.25\n"
    json_answer = rt.invoke_endpoint(EndpointName=constant, ContentType="application/json", Body=b"[[1], [2]]")
    assert json.loads(json_answer["Body"].read()) == {"predictions": [0.25, 0.25]}
