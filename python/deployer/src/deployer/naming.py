"""Names the deployer generates, how it recognises its own, and ARN partitions."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_NAME = 63
_OURS = re.compile(r"^(?P<prefix>[a-zA-Z0-9-]+)-v(?P<version>\d+)-(?P<digest>[0-9a-f]{8})$")


def digest(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def hashed_name(endpoint: str, version: int, request: Mapping[str, Any]) -> tuple[str, str]:
    """(name, hash8) for a resource created by `request`, the exact Create* request without its name
    (and tags, which carry the hash): any field added to the request changes the name."""
    hash8 = digest(request)[:8]
    return resource_name(endpoint, version, hash8), hash8


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


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
