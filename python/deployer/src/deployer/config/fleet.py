"""Validators of what runs on the endpoint: endpoint, data capture, autoscaling, smoke tests, tags."""

from __future__ import annotations

from typing import Any

from deployer.config.checker import Checker
from deployer.config.patterns import INSTANCE_TYPE, KMS, S3_URI, SM_NAME, SMOKE_DIR
from deployer.config.settings import AutoscalingSettings, DataCaptureSettings, EndpointSettings

KMS_ALLOWED = 'a KMS key ARN, key id or alias, or ""'
NAME_ALLOWED = "1-63 of a-z A-Z 0-9 and single hyphens inside"
MAX_TAGS = 40


def endpoint_settings(data: dict[str, Any], c: Checker, target_account: str) -> tuple[EndpointSettings, bool]:
    """The endpoint section, and whether instance_count is valid (strategy limits depend on it)."""
    keys = ("name", "variant_name", "instance_type", "instance_count", "kms_key_arn", "execution_role_arn")
    ep = c.section(data, "endpoint", keys)
    if ep is None:
        return EndpointSettings("", "", "", 1, "", ""), False
    name = c.string(ep, "endpoint.name", SM_NAME, NAME_ALLOWED)
    variant = c.string(ep, "endpoint.variant_name", SM_NAME, NAME_ALLOWED)
    instance_type = c.string(ep, "endpoint.instance_type", INSTANCE_TYPE, "ml.<family>.<size>, e.g. ml.m5.large")
    count = c.integer(ep, "endpoint.instance_count", 1, None)
    count_ok = "instance_count" in ep and count == ep.get("instance_count")
    kms = c.string(ep, "endpoint.kms_key_arn", KMS, KMS_ALLOWED, empty_ok=True)
    role = c.role(ep, "endpoint.execution_role_arn", target_account, empty_ok=False)
    return EndpointSettings(name, variant, instance_type, count, kms, role), count_ok


def data_capture_settings(data: dict[str, Any], c: Checker) -> DataCaptureSettings:
    dc = c.section(data, "data_capture", ("enabled", "sampling_percentage", "destination_s3_uri", "kms_key_arn"))
    if dc is None:
        return DataCaptureSettings(False, 0, "", "")
    enabled = c.boolean(dc, "data_capture.enabled")
    sampling = c.integer(dc, "data_capture.sampling_percentage", 0, 100)
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
    min_cap = c.integer(auto, "autoscaling.min_capacity", 1, None)
    max_cap = c.integer(auto, "autoscaling.max_capacity", 1, None)
    if enabled and max_cap < min_cap:
        c.add("autoscaling.max_capacity", f"{max_cap} is below min_capacity {min_cap}", f"integer >= {min_cap}")
    target = c.number(auto, "autoscaling.target_invocations_per_instance", 0)
    return AutoscalingSettings(enabled, min_cap, max_cap, target)


def smoke_tests_dir(data: dict[str, Any], c: Checker) -> str:
    smoke = c.section(data, "smoke_tests", ("dir",))
    if smoke is None:
        return ""
    return c.string(smoke, "smoke_tests.dir", SMOKE_DIR, "a relative path inside the repo")


def tags(data: dict[str, Any], c: Checker) -> dict[str, str]:
    raw = data.get("tags", {})
    if not isinstance(raw, dict):
        c.add("tags", "not an object", "an object of string -> string")
        return {}
    result: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, str) and 1 <= len(key) <= 128 and len(value) <= 256 and not key.lower().startswith("aws:"):
            result[key] = value
        else:
            allowed = "string keys 1-128 chars (not aws:), string values <= 256 chars"
            c.add(f"tags.{key}", f"{value!r} is invalid", allowed)
    if len(result) > MAX_TAGS:
        c.add("tags", f"{len(result)} tags", f"at most {MAX_TAGS} (the deployer adds its own, SageMaker allows 50)")
    return result
