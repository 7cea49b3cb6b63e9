"""Names the deployer generates, how it recognises its own, and ARN partitions.

A model or endpoint config is named `<endpoint>-v<version>-<hash8>` (hash8: of the exact Create* request).
When the endpoint name is too long for that, it is cut and followed by a hash of the whole endpoint name,
`<first characters>-<endpoint hash8>--v<version>-<hash8>`: endpoints that share their first characters never
share a name. The double hyphen marks the shortened form; an endpoint name never ends with a hyphen, so no
endpoint's plain form can spell another endpoint's shortened one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_NAME = 63
# The tag that says which endpoint a model or config was created for; cleanup deletes nothing without it.
ENDPOINT_TAG = "deployer:endpoint"
# Every name generated for an endpoint starts with this many of its characters (fewer only when they end in
# hyphens), for versions below 10**10: the ListModels/ListEndpointConfigs filter.
SEARCH_CHARS = 32
_OURS = re.compile(r"^(?P<prefix>[a-zA-Z0-9](?:-*[a-zA-Z0-9])*)(?P<cut>-?)-v(?P<version>\d+)-(?P<digest>[0-9a-f]{8})$")


def digest(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def endpoint_hash(endpoint: str) -> str:
    """8 hex characters of the whole endpoint name, carried by the names of long endpoints."""
    return hashlib.sha256(endpoint.encode()).hexdigest()[:8]


def hashed_name(endpoint: str, version: int, request: Mapping[str, Any]) -> tuple[str, str]:
    """(name, hash8) for a resource created by `request`, the exact Create* request without its name
    (and tags, which carry the hash): any field added to the request changes the name."""
    hash8 = digest(request)[:8]
    return resource_name(endpoint, version, hash8), hash8


def resource_name(endpoint: str, version: int, hash8: str) -> str:
    """`<endpoint>-v<version>-<hash8>` when that fits 63 characters, else the shortened form (module doc)."""
    suffix = f"-v{version}-{hash8}"
    if len(endpoint) + len(suffix) <= MAX_NAME:
        return f"{endpoint}{suffix}"
    tail = f"-{endpoint_hash(endpoint)}-{suffix}"
    room = MAX_NAME - len(tail)
    if room < 1:
        raise ValueError(f"version {version} is too long for a resource name")
    return f"{endpoint[:room].rstrip('-')}{tail}"


def name_prefix(endpoint: str) -> str:
    """What every name generated for `endpoint` starts with (a search filter; `is_ours` decides)."""
    return endpoint[:SEARCH_CHARS].rstrip("-")


def parse_name(name: str, endpoint: str | None = None) -> tuple[str, int, str] | None:
    """(prefix, version, hash8) of a name the deployer generated, else None. With `endpoint`, only a name
    generated for exactly that endpoint counts. The prefix of a shortened name ends with the endpoint hash."""
    match = _OURS.match(name) if len(name) <= MAX_NAME else None
    if not match:
        return None
    version, hash8 = int(match.group("version")), match.group("digest")
    if endpoint is not None:
        try:
            if resource_name(endpoint, version, hash8) != name:
                return None
        except ValueError:
            return None
    return match.group("prefix"), version, hash8


def is_ours(name: str, endpoint: str) -> bool:
    """Whether the deployer generated `name` for exactly `endpoint` (not one sharing its first characters)."""
    return parse_name(name, endpoint) is not None


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
