"""Validators of what runs on the endpoint: endpoint, data capture, autoscaling, smoke tests (tags: tags.py).

Numeric limits are SageMaker's and Application Auto Scaling's, read from botocore's models (aws_limits.py).
"""

from __future__ import annotations

import re
from typing import Any

from deployer.config.aws_limits import QUOTA_NOTE, TARGET_VALUE_DOC, TARGET_VALUE_MAX, int_limit
from deployer.config.checker import Checker, shown
from deployer.config.patterns import INSTANCE_TYPE, KMS, S3_URI, SECURITY_GROUP_ID, SM_NAME, SMOKE_DIR, SUBNET_ID
from deployer.config.settings import AutoscalingSettings, DataCaptureSettings, EndpointSettings, VpcSettings

KMS_ALLOWED = 'a KMS key ARN, key id or alias, or ""'
NAME_ALLOWED = "1-63 of a-z A-Z 0-9 and single hyphens inside"
ENDPOINT_OPTIONAL_KEYS = ("vpc", "network_isolation")
VPC_KEYS = ("subnet_ids", "security_group_ids")
# Each key of endpoint.vpc: its id pattern, the id prefix shown, and its member of SageMaker's VpcConfig.
_VPC_IDS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "subnet_ids": (SUBNET_ID, "subnet-", "Subnets"),
    "security_group_ids": (SECURITY_GROUP_ID, "sg-", "SecurityGroupIds"),
}
TARGET_ALLOWED = f"a number > 0 and <= 2^360; Application Auto Scaling's TargetValue range is {TARGET_VALUE_DOC}"


def endpoint_settings(data: dict[str, Any], c: Checker, target_account: str) -> tuple[EndpointSettings, bool]:
    """The endpoint section, and whether instance_count is valid (strategy limits depend on it).

    `vpc` and `network_isolation` are optional (older configs lack them): absent reads as null and false."""
    keys = ("name", "variant_name", "instance_type", "instance_count", "kms_key_arn", "execution_role_arn")
    ep = c.section(data, "endpoint", (*keys, *ENDPOINT_OPTIONAL_KEYS))
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
    isolation = c.boolean(ep, "endpoint.network_isolation") if "network_isolation" in ep else False
    settings = EndpointSettings(name, variant, instance_type, count, kms, role, vpc_settings(ep, c), isolation)
    return settings, count_ok


def vpc_settings(ep: dict[str, Any], c: Checker) -> VpcSettings | None:
    """`endpoint.vpc`: null (or absent) for no VPC, else the models' subnets and security groups."""
    raw = ep.get("vpc")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        c.add("endpoint.vpc", f"{shown(raw)} is {type(raw).__name__}", f"null or an object with {', '.join(VPC_KEYS)}")
        return None
    for extra in sorted(set(raw) - set(VPC_KEYS)):
        c.add(f"endpoint.vpc.{extra}", "unknown key", ", ".join(VPC_KEYS))
    return VpcSettings(_ids(raw, c, "subnet_ids"), _ids(raw, c, "security_group_ids"))


def _ids(raw: dict[str, Any], c: Checker, key: str) -> tuple[str, ...]:
    """A list of distinct EC2 ids within SageMaker's VpcConfig limits (botocore's model)."""
    path = f"endpoint.vpc.{key}"
    pattern, prefix, member = _VPC_IDS[key]
    limit = int_limit("sagemaker", "VpcConfig", member)
    allowed = f"{limit.low}-{limit.high} distinct ids {prefix}<8 or 17 lowercase hex digits>; {limit.source}"
    value = raw.get(key)
    if not isinstance(value, list):
        c.add(path, "missing" if key not in raw else f"{shown(value)} is not a list", allowed)
        return ()
    if not limit.low <= len(value) <= limit.high:
        c.add(path, f"has {len(value)} ids", allowed)
    bad = [v for v in value if not isinstance(v, str) or not pattern.match(v)]
    if bad:
        c.add(path, f"{', '.join(shown(v) for v in bad)} {'is' if len(bad) == 1 else 'are'} invalid", allowed)
    if len({v for v in value if isinstance(v, str)}) < len(value) and not bad:
        c.add(path, "repeats an id", allowed)
    return tuple(v for v in value if isinstance(v, str))


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
