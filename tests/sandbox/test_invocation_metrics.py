"""What real invocations leave behind: AWS/SageMaker metrics per variant, data capture files, and test models
whose answers, latency and error rate a test chooses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Sandbox
from tests.sandbox.test_hosting import FAST, Unique, make_model, sm
from tests.sandbox.test_shadow import serving, shadow_config, variant

pytestmark = pytest.mark.usefixtures("execution_role")
ROW = b"34,12,79.5,1,0"


def cloudwatch(sandbox: Sandbox) -> Any:
    return sandbox.client("cloudwatch", "dev")


def window() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"StartTime": now - timedelta(minutes=30), "EndTime": now + timedelta(minutes=30)}


def dims(endpoint: str, variant_name: str) -> list[dict[str, str]]:
    return [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant_name}]


def statistic(sandbox: Sandbox, endpoint: str, variant_name: str, metric: str, **kwargs: Any) -> list[dict[str, Any]]:
    answer = cloudwatch(sandbox).get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName=metric,
        Dimensions=dims(endpoint, variant_name),
        Period=3600,
        **window(),
        **kwargs,
    )
    points: list[dict[str, Any]] = answer["Datapoints"]
    return points


def total(sandbox: Sandbox, endpoint: str, variant_name: str, metric: str) -> float:
    return sum(p["Sum"] for p in statistic(sandbox, endpoint, variant_name, metric, Statistics=["Sum"]))


def invoke(sandbox: Sandbox, endpoint: str, times: int, body: bytes = ROW) -> list[str]:
    """Each answer's body, or `ModelError` for a refused one."""
    runtime = sandbox.client("sagemaker-runtime", "dev")
    answers = []
    for _ in range(times):
        try:
            answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)
            answers.append(answer["Body"].read().decode().strip())
        except ClientError as exc:
            answers.append(exc.response["Error"]["Code"])
    return answers


def plain_endpoint(sandbox: Sandbox, unique: Unique, env: dict[str, str], capture: dict[str, Any] | None = None) -> str:
    client = sm(sandbox)
    model = make_model(client, unique("model"), {**FAST, **env})
    config = unique("config")
    extra = {"DataCaptureConfig": capture} if capture else {}
    client.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant("Primary", model)], **extra)
    return serving(client, unique, config)


def test_shadow_gets_its_sampled_share_and_both_variants_report_metrics(sandbox: Sandbox, unique: Unique) -> None:
    client = sm(sandbox)
    # Production weight 1, shadow weight 0.5: half of the requests are copied to the shadow.
    config = shadow_config(client, unique, {"SANDBOX_MODEL_LATENCY_MS": "30"}, weight=0.5)
    endpoint = serving(client, unique, config)
    invoke(sandbox, endpoint, 10)
    assert total(sandbox, endpoint, "Production", "Invocations") == 10
    assert total(sandbox, endpoint, "Shadow", "Invocations") == 5
    [point] = statistic(sandbox, endpoint, "Shadow", "ModelLatency", Statistics=["Average", "SampleCount"])
    assert (point["Average"], point["SampleCount"], point["Unit"]) == (30000.0, 5.0, "Microseconds")
    assert total(sandbox, endpoint, "Production", "Invocation5XXErrors") == 0
    assert total(sandbox, endpoint, "Production", "OverheadLatency") > 0


def test_error_rate_is_seeded_and_counted_as_aws_counts_it(sandbox: Sandbox, unique: Unique) -> None:
    env = {"SANDBOX_ERROR_RATE": "0.3", "SANDBOX_SEED": "7", "SANDBOX_MODEL_VERSION": "3"}
    first = plain_endpoint(sandbox, unique, env)
    second = plain_endpoint(sandbox, unique, env)
    answers = invoke(sandbox, first, 40)
    assert answers == invoke(sandbox, second, 40)  # same seed, same draws
    errors = answers.count("ModelError")
    assert 4 <= errors <= 20
    assert total(sandbox, first, "Primary", "Invocation5XXErrors") == errors
    assert total(sandbox, first, "Primary", "InvocationModelErrors") == errors
    assert total(sandbox, first, "Primary", "Invocation4XXErrors") == 0
    assert total(sandbox, first, "Primary", "Invocations") == 40


def test_client_errors_from_the_model_count_as_4xx(sandbox: Sandbox, unique: Unique) -> None:
    endpoint = plain_endpoint(sandbox, unique, {})
    runtime = sandbox.client("sagemaker-runtime", "dev")
    with pytest.raises(ClientError):
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="image/png", Body=b"\x89PNG")
    assert total(sandbox, endpoint, "Primary", "Invocation4XXErrors") == 1
    assert total(sandbox, endpoint, "Primary", "InvocationModelErrors") == 1


def test_prediction_offset_makes_a_worse_model(sandbox: Sandbox, unique: Unique) -> None:
    base = plain_endpoint(sandbox, unique, {"SANDBOX_MODEL_VERSION": "5"})
    worse = plain_endpoint(sandbox, unique, {"SANDBOX_MODEL_VERSION": "5", "SANDBOX_PREDICTION_OFFSET": "0.25"})
    [good] = invoke(sandbox, base, 1)
    [bad] = invoke(sandbox, worse, 1)
    assert float(bad) == pytest.approx(float(good) + 0.25)


def test_percentiles_from_get_metric_statistics_and_get_metric_data(sandbox: Sandbox, unique: Unique) -> None:
    slow = plain_endpoint(sandbox, unique, {"SANDBOX_MODEL_LATENCY_MS": "150"})
    invoke(sandbox, slow, 4)
    [point] = statistic(sandbox, slow, "Primary", "ModelLatency", ExtendedStatistics=["p50", "p99"])
    assert point["ExtendedStatistics"] == {"p50": 150000.0, "p99": 150000.0}
    queries = [
        {
            "Id": stat.lower(),
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SageMaker",
                    "MetricName": "ModelLatency",
                    "Dimensions": dims(slow, "Primary"),
                },
                "Period": 3600,
                "Stat": stat,
            },
        }
        for stat in ("p99", "Average", "Sum")
    ]
    answer = cloudwatch(sandbox).get_metric_data(MetricDataQueries=queries, **window())
    values = {r["Id"]: r["Values"] for r in answer["MetricDataResults"]}
    assert values == {"p99": [150000.0], "average": [150000.0], "sum": [600000.0]}


def test_percentiles_are_nearest_rank(sandbox: Sandbox, unique: Unique) -> None:
    namespace = unique("Custom")
    cw = cloudwatch(sandbox)
    cw.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "L", "Value": float(v)} for v in range(1, 21)])
    answer = cw.get_metric_statistics(
        Namespace=namespace, MetricName="L", Period=3600, ExtendedStatistics=["p50", "p90", "p100"], **window()
    )
    [point] = answer["Datapoints"]
    assert point["ExtendedStatistics"] == {"p50": 10.0, "p90": 18.0, "p100": 20.0}


def test_data_capture_files_for_production_and_shadow(sandbox: Sandbox, unique: Unique) -> None:
    s3 = sandbox.client("s3", "dev")
    bucket = unique("capture")
    s3.create_bucket(Bucket=bucket)
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 50,
        "DestinationS3Uri": f"s3://{bucket}/datacapture",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
    }
    client = sm(sandbox)
    endpoint = serving(client, unique, shadow_config(client, unique, weight=1.0, DataCaptureConfig=capture))
    invoke(sandbox, endpoint, 4)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    by_variant = {
        v: [k for k in keys if k.startswith(f"datacapture/{endpoint}/{v}/")] for v in ("Production", "Shadow")
    }
    assert {v: len(k) for v, k in by_variant.items()} == {"Production": 2, "Shadow": 2}
    key = by_variant["Shadow"][0]
    # <prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl, the hour of the request (UTC)
    written = datetime(*(int(part) for part in key.split("/")[3:7]), tzinfo=UTC)
    assert timedelta(0) <= datetime.now(UTC) - written < timedelta(hours=1, minutes=1)
    assert len(key.split("/")) == 8 and key.endswith(".jsonl")
    [line] = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    record = json.loads(line)
    assert set(record) == {"captureData", "eventMetadata", "eventVersion"} and record["eventVersion"] == "0"
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": ROW.decode(),
        "encoding": "CSV",
    }
    assert record["captureData"]["endpointOutput"]["mode"] == "OUTPUT"
    assert set(record["eventMetadata"]) == {"eventId", "inferenceTime"}
    assert record["eventMetadata"]["inferenceTime"].endswith("Z")


def test_capture_without_content_type_headers_is_base64(sandbox: Sandbox, unique: Unique) -> None:
    s3 = sandbox.client("s3", "dev")
    bucket = unique("capture")
    s3.create_bucket(Bucket=bucket)
    capture = {
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{bucket}/c",
        "CaptureOptions": [{"CaptureMode": "Input"}],
    }
    endpoint = plain_endpoint(sandbox, unique, {}, capture)
    runtime = sandbox.client("sagemaker-runtime", "dev")
    runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=ROW, InferenceId="req-1")
    [obj] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    record = json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
    assert record["eventMetadata"]["inferenceId"] == "req-1"
    # to the second, as AWS writes it: 2022-01-11T17:00:39Z
    assert datetime.strptime(record["eventMetadata"]["inferenceTime"], "%Y-%m-%dT%H:%M:%SZ")
    assert record["captureData"] == {
        "endpointInput": {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": "MzQsMTIsNzkuNSwxLDA=",
            "encoding": "BASE64",
        }
    }


def test_simulated_model_latency_is_scaled_for_the_caller(sandbox: Sandbox, unique: Unique) -> None:
    # 100 simulated seconds of model time take about a wall second at the default scale; ModelLatency shows 100 s.
    slow = plain_endpoint(sandbox, unique, {"SANDBOX_MODEL_LATENCY_MS": "100000"})
    started = datetime.now(UTC)
    invoke(sandbox, slow, 1)
    assert (datetime.now(UTC) - started).total_seconds() < 10
    [point] = statistic(sandbox, slow, "Primary", "ModelLatency", Statistics=["Maximum"])
    assert point["Maximum"] == 100_000_000.0
