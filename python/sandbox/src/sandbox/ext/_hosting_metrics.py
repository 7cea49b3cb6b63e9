"""The AWS/SageMaker invocation metrics a real InvokeEndpoint emits, per endpoint and variant (shadows too).

AWS publishes them with the dimensions EndpointName and VariantName ("Monitor SageMaker AI with Amazon
CloudWatch"): Invocations, InvocationsPerInstance, Invocation4XXErrors / Invocation5XXErrors (by the status the
model answered), InvocationModelErrors (the model did not answer 2XX), ModelLatency and OverheadLatency in
microseconds. AWS aggregates them per minute; here each request is one datum at the moment it was served, so
GetMetricStatistics and GetMetricData see exact per-request values.
"""

from __future__ import annotations

from dataclasses import dataclass

from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

NAMESPACE = "AWS/SageMaker"


@dataclass(frozen=True)
class Served:
    """How one variant handled one request."""

    model_status: int  # what the model container answered (200, or its error status)
    model_latency_us: int
    overhead_latency_us: int


def emit(account: str, region: str, endpoint: str, variant: str, instances: int, served: Served) -> None:
    dimensions = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]
    status = served.model_status
    values: list[tuple[str, float, str]] = [
        ("Invocations", 1, "None"),
        ("InvocationsPerInstance", 1 / max(1, instances), "None"),
        ("Invocation4XXErrors", 1 if 400 <= status < 500 else 0, "None"),
        ("Invocation5XXErrors", 1 if status >= 500 else 0, "None"),
        ("InvocationModelErrors", 0 if 200 <= status < 300 else 1, "None"),
        ("ModelLatency", served.model_latency_us, "Microseconds"),
        ("OverheadLatency", served.overhead_latency_us, "Microseconds"),
    ]
    backend = cloudwatch_backends[account][region]
    for name, value, unit in values:
        backend.metric_data.append(MetricDatum(NAMESPACE, name, float(value), dimensions, None, unit))
