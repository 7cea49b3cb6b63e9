"""The CodeStar Connections / CodeConnections API on `_connections_store`, in botocore's shapes.

Both services answer the same operations on the same connections (AWS renamed the service; a connection is
reachable through either). CreateConnection makes the ARN in the service that was called. Every connection
starts PENDING, as one made through the API does on AWS; only the console handshake (the sandbox's
`complete`, see `codeconnections`) makes it AVAILABLE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sandbox.ext import _connections_store as store

log = logging.getLogger(__name__)

Params = dict[str, Any]
Handler = Callable[[str, str, str, Params], dict[str, Any]]
MAX_TAGS = 200


class ConnectionsError(Exception):
    """An API error: botocore's error code and AWS's message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid(field: str, value: Any, constraint: str) -> ConnectionsError:
    return ConnectionsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}",
    )


def _required(params: Params, name: str, field: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid(field, value, "Member must not be null")
    return value


def _existing(account: str, region: str, arn: str) -> store.Connection:
    found = store.connections(account, region).get(arn)
    if found is None:
        raise ConnectionsError("ResourceNotFoundException", f"Connection {arn} not found")
    return found


def _tags_in(value: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in value or []:
        if not isinstance(item, dict) or not 1 <= len(str(item.get("Key", ""))) <= 128:
            raise _invalid("tags.member.key", item, "Member must have length between 1 and 128")
        if len(str(item.get("Value", ""))) > 256:
            raise _invalid("tags.member.value", item.get("Value"), "Member must have length less than or equal to 256")
        tags[str(item["Key"])] = str(item.get("Value", ""))
    return tags


def _tags_out(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def create_connection(service: str, account: str, region: str, params: Params) -> dict[str, Any]:
    name = _required(params, "ConnectionName", "connectionName")
    if len(name) > 32:
        raise _invalid("connectionName", name, "Member must have length less than or equal to 32")
    provider = params.get("ProviderType") or ""
    host_arn = str(params.get("HostArn") or "")
    if provider and provider not in store.PROVIDER_TYPES:
        allowed = ", ".join(store.PROVIDER_TYPES)
        raise _invalid("providerType", provider, f"Member must satisfy enum value set: [{allowed}]")
    if not provider and not host_arn:
        raise ConnectionsError("ValidationException", "Either ProviderType or HostArn must be specified")
    if host_arn:
        # Installed providers (GitHub Enterprise Server, GitLab self-managed) need a host; the sandbox has none.
        raise ConnectionsError("ResourceNotFoundException", f"Host {host_arn} not found")
    existing = store.connections(account, region)
    if any(c.name == name for c in existing.values()):
        raise ConnectionsError("ResourceUnavailableException", f"Connection with name {name} already exists")
    tags = _tags_in(params.get("Tags"))
    connection = store.Connection(store.new_arn(service, account, region), name, str(provider), account, tags=tags)
    existing[connection.arn] = connection
    log.info("connection %s (%s) created PENDING", connection.arn, provider)
    return {"ConnectionArn": connection.arn, "Tags": _tags_out(tags)}


def get_connection(service: str, account: str, region: str, params: Params) -> dict[str, Any]:
    arn = _required(params, "ConnectionArn", "connectionArn")
    return {"Connection": _existing(account, region, arn).to_api()}


def list_connections(service: str, account: str, region: str, params: Params) -> dict[str, Any]:
    provider, host = params.get("ProviderTypeFilter"), params.get("HostArnFilter")
    found = [
        c
        for c in store.connections(account, region).values()
        if (not provider or c.provider_type == provider) and (not host or c.host_arn == host)
    ]
    size = int(params.get("MaxResults") or 100)
    if not 0 <= size <= 100:
        raise _invalid("maxResults", size, "Member must have value less than or equal to 100")
    token = str(params.get("NextToken") or "0")
    start = int(token) if token.isdigit() else 0
    page = found[start : start + size] if size else found[start:]
    answer: dict[str, Any] = {"Connections": [c.to_api() for c in page]}
    if size and start + size < len(found):
        answer["NextToken"] = str(start + size)
    return answer


def delete_connection(service: str, account: str, region: str, params: Params) -> dict[str, Any]:
    arn = _required(params, "ConnectionArn", "connectionArn")
    _existing(account, region, arn)
    del store.connections(account, region)[arn]
    log.info("connection %s deleted", arn)
    return {}


def list_tags_for_resource(service: str, account: str, region: str, params: Params) -> dict[str, Any]:
    arn = _required(params, "ResourceArn", "resourceArn")
    return {"Tags": _tags_out(_existing(account, region, arn).tags)}


def tag_resource(service: str, account: str, region: str, params: Params) -> dict[str, Any]:
    connection = _existing(account, region, _required(params, "ResourceArn", "resourceArn"))
    merged = {**connection.tags, **_tags_in(params.get("Tags"))}
    if len(merged) > MAX_TAGS:
        raise ConnectionsError("LimitExceededException", f"A resource can have at most {MAX_TAGS} tags")
    connection.tags = merged
    return {}


def untag_resource(service: str, account: str, region: str, params: Params) -> dict[str, Any]:
    connection = _existing(account, region, _required(params, "ResourceArn", "resourceArn"))
    for key in params.get("TagKeys") or []:
        connection.tags.pop(str(key), None)
    return {}


OPERATIONS: dict[str, Handler] = {
    "CreateConnection": create_connection,
    "GetConnection": get_connection,
    "ListConnections": list_connections,
    "DeleteConnection": delete_connection,
    "ListTagsForResource": list_tags_for_resource,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
}
