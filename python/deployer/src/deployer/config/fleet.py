"""Validators of what runs on the endpoint: endpoint, data capture, autoscaling, smoke tests (tags: tags.py).

Numeric limits are SageMaker's and Application Auto Scaling's, read from botocore's models (aws_limits.py).
"""

from __future__ import annotations

from typing import Any

from deployer.config.aws_limits import QUOTA_NOTE, TARGET_VALUE_DOC, TARGET_VALUE_MAX, int_limit
from deployer.config.checker import Checker
from deployer.config.patterns import INSTANCE_TYPE, KMS, S3_URI, SM_NAME, SMOKE_DIR
from deployer.config.settings import AutoscalingSettings, DataCaptureSettings, EndpointSettings

KMS_ALLOWED = 'a KMS key ARN, key id or alias, or ""'
NAME_ALLOWED = "1-63 of a-z A-Z 0-9 and single hyphens inside"
TARGET_ALLOWED = f"a number > 0 and <= 2^360; Application Auto Scaling's TargetValue range is {TARGET_VALUE_DOC}"


def endpoint_settings(data: dict[str, Any], c: Checker, target_account: str) -> tuple[EndpointSettings, bool]:
    """The endpoint section, and whether instance_count is valid (strategy limits depend on it)."""
    keys = ("name", "variant_name", "instance_type", "instance_count", "kms_key_arn", "execution_role_arn")
    ep = c.section(data, "endpoint", keys)
    if ep is None:
        return EndpointSettings("", "", "", 1, "", ""), False
    name = c.string(ep, "endpoint.name", SM_NAME, NAME_ALLOWED)
    variant = c.string(ep, "endpoint.variant_name", SM_NAME, NAME_ALLOWED)
    instance_type = c.string(ep, "endpoint.instance_type", INSTANCE_TYPE, "ml.<family>.<size>, e.g. ml.m5.large")
    limit = int_limit("sagemaker", "ProductionVariant", "InitialInstanceCount")
    count = c.integer(ep, "endpoint.instance_count", limit.low, limit.high, note=f"{limit.source}; {QUOTA_NOTE}")
    raw = ep.get("instance_count")
    count_ok = isinstance(raw, int) and not isinstance(raw, bool) and count == raw  # True == 1 in Python
    kms = c.string(ep, "endpoint.kms_key_arn", KMS, KMS_ALLOWED, empty_ok=True)
    role = c.role(ep, "endpoint.execution_role_arn", target_account, empty_ok=False)
    return EndpointSettings(name, variant, instance_type, count, kms, role), count_ok


def data_capture_settings(data: dict[str, Any], c: Checker) -> DataCaptureSettings:
    dc = c.section(data, "data_capture", ("enabled", "sampling_percentage", "destination_s3_uri", "kms_key_arn"))
    if dc is None:
        return DataCaptureSettings(False, 0, "", "")
    enabled = c.boolean(dc, "data_capture.enabled")
    limit = int_limit("sagemaker", "DataCaptureConfig", "InitialSamplingPercentage")
    sampling = c.integer(dc, "data_capture.sampling_percentage", limit.low, limit.high, note=limit.source)
    path = "data_capture.destination_s3_uri"
    dest = c.string(dc, path, S3_URI, 's3://<bucket>/<prefix> (or "" when disabled)', empty_ok=True)
    if enabled and dc.get("destination_s3_uri") == "":
        c.add(path, "empty while data capture is enabled", "s3://<bucket>/<prefix>")
    kms = c.string(dc, "data_capture.kms_key_arn", KMS, KMS_ALLOWED, empty_ok=True)
    return DataCaptureSettings(enabled, sampling, dest, kms)


def autoscaling_settings(data: dict[str, Any], c: Checker) -> AutoscalingSettings:
    keys = ("enabled", "min_capacity", "max_capacity", "target_invocations_per_instance")
    auto = c.section(data, "autoscaling", keys)
    if auto is None:
        return AutoscalingSettings(False, 1, 1, 1.0)
    enabled = c.boolean(auto, "autoscaling.enabled")
    low, high, note = _capacity_limit()
    min_cap = c.integer(auto, "autoscaling.min_capacity", low, high, note=note)
    max_cap = c.integer(auto, "autoscaling.max_capacity", low, high, note=note)
    # A bad capacity reads as its placeholder: only two valid ones are compared.
    if enabled and max_cap < min_cap and not c.has_problems("autoscaling.m"):
        c.add("autoscaling.max_capacity", f"{max_cap} is below min_capacity {min_cap}", f"integer {min_cap}-{high}")
    target = c.number(auto, "autoscaling.target_invocations_per_instance", 0, TARGET_VALUE_MAX, TARGET_ALLOWED)
    return AutoscalingSettings(enabled, min_cap, max_cap, target)


def _capacity_limit() -> tuple[int, int, str]:
    """Application Auto Scaling allows a SageMaker variant to scale in to 0, which leaves the endpoint without an
    instance to answer: the deployer keeps at least 1."""
    limit = int_limit("application-autoscaling", "RegisterScalableTargetRequest", "MaxCapacity")
    return max(1, limit.low), limit.high, f"at least 1 instance; {limit.source}; {QUOTA_NOTE}"


def smoke_tests_dir(data: dict[str, Any], c: Checker) -> str:
    smoke = c.section(data, "smoke_tests", ("dir",))
    if smoke is None:
        return ""
    return c.string(smoke, "smoke_tests.dir", SMOKE_DIR, "a relative path inside the repo")
