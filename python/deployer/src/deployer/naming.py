"""Names the deployer generates, how it recognises its own, and ARN partitions."""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deployer.config import StageConfig

MAX_NAME = 63
_OURS = re.compile(r"^(?P<prefix>[a-zA-Z0-9-]+)-v(?P<version>\d+)-(?P<digest>[0-9a-f]{8})$")


def digest(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def resource_name(endpoint: str, version: int, hash8: str) -> str:
    """`<endpoint>-v<version>-<hash8>`, the endpoint part shortened so the whole fits 63 characters."""
    suffix = f"-v{version}-{hash8}"
    prefix = endpoint[: MAX_NAME - len(suffix)].rstrip("-")
    return f"{prefix}{suffix}"


def name_prefix(endpoint: str, version: int = 1) -> str:
    """The endpoint part our names start with (as shortened for long endpoint names)."""
    return resource_name(endpoint, version, "0" * 8).rsplit("-v", 1)[0]


def parse_name(name: str) -> tuple[str, int, str] | None:
    """(prefix, version, hash8) of a name the deployer generated, else None."""
    match = _OURS.match(name)
    if not match:
        return None
    return match.group("prefix"), int(match.group("version")), match.group("digest")


def is_ours(name: str, endpoint: str) -> bool:
    parsed = parse_name(name)
    return parsed is not None and parsed[0] == name_prefix(endpoint, parsed[1])


def model_payload(config: StageConfig, package_arn: str) -> dict[str, Any]:
    return {"package": package_arn, "execution_role": config.endpoint.execution_role_arn}


def endpoint_config_payload(config: StageConfig, model_name: str) -> dict[str, Any]:
    ep, dc = config.endpoint, config.data_capture
    return {
        "model": model_name,
        "variant": ep.variant_name,
        "instance_type": ep.instance_type,
        "instance_count": ep.instance_count,
        "kms": ep.kms_key_arn,
        "capture": [dc.enabled, dc.sampling_percentage, dc.destination_s3_uri, dc.kms_key_arn] if dc.enabled else None,
    }


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
