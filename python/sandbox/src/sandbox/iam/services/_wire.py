"""Which botocore operation an HTTP request is, and its parameters, read with botocore's own service models.

JSON protocols name the operation in X-Amz-Target, query protocols in the `Action` parameter, Smithy RPC v2
CBOR in the path (`/service/<Service>/operation/<Op>`), and REST protocols by method plus the model's requestUri
template. Parameters come back in botocore's input shape (member names), whatever the wire protocol, so the
per-service rules in this package read `params["Tags"]` the same way for JSON, query and CBOR requests.
Models and route tables are loaded once per service and cached: this runs on every request.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import botocore.session
from botocore.parsers import RpcV2CBORParser

from sandbox.iam.services._rest import RestIndex

# Signing names whose botocore service name differs or that several services share.
_BY_SIGNING_NAME: dict[str, tuple[str, ...]] = {
    "monitoring": ("cloudwatch",),
    "sagemaker": ("sagemaker", "sagemaker-runtime"),
    "email": ("ses", "sesv2"),
}
_CBOR = "smithy-rpc-v2-cbor"
_REST = ("rest-json", "rest-xml")


@dataclass(frozen=True)
class Wire:
    service: str  # botocore service name
    operation: str  # "" when nothing named one
    protocol: str
    params: Mapping[str, Any]
    known: bool  # the operation exists in botocore's model of the service


class _Service:
    """One botocore service model and what `identify` needs of it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.model: Any = _session().get_service_model(name)
        meta = self.model.metadata
        self.protocols: tuple[str, ...] = tuple(meta.get("protocols") or [meta.get("protocol", "")])
        self.target_prefix: str = meta.get("targetPrefix", "")  # also the CBOR path's service id
        self.operations: frozenset[str] = frozenset(self.model.operation_names)
        self.rest = RestIndex(self.model) if self.protocols[0] in _REST else None


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    return botocore.session.get_session()


@functools.lru_cache(maxsize=1)
def _available() -> frozenset[str]:
    return frozenset(_session().get_available_services())


@functools.cache
def service(name: str) -> _Service:
    return _Service(name)


def candidates(signing_name: str) -> tuple[str, ...]:
    found = _BY_SIGNING_NAME.get(signing_name)
    if found is not None:
        return found
    return (signing_name,) if signing_name in _available() else ()


def identify(
    signing_name: str,
    method: str,
    path: str,
    query: Mapping[str, Sequence[str]],
    headers: Mapping[str, str],
    body: bytes,
) -> Wire | None:
    """The botocore operation of a request; None when no candidate service model describes it at all."""
    names = candidates(signing_name)
    if not names:
        return None
    target = headers.get("x-amz-target")
    if target:
        return _by_target(names, target, body)
    if path.startswith("/service/") and "/operation/" in path:
        return _by_cbor_path(names, path, body)
    form = _form(method, headers, body)
    action = _first(query.get("Action")) or _first(form.get("Action"))
    if action:
        merged = {**query, **form}
        svc = next((service(n) for n in names if "query" in service(n).protocols), service(names[0]))
        return Wire(svc.name, action, "query", decode_query(merged), action in svc.operations)
    for name in names:
        rest = service(name).rest
        found = rest.match(method, path, query, headers, body) if rest is not None else None
        if found is not None:
            return Wire(name, found.operation, service(name).protocols[0], found.params, True)
    fallback = next((n for n in names if service(n).rest is not None), names[0])
    return Wire(fallback, "", service(fallback).protocols[0], {}, False)


def _first(values: Sequence[str] | None) -> str:
    return values[0] if values else ""


def _form(method: str, headers: Mapping[str, str], body: bytes) -> dict[str, list[str]]:
    if method != "POST" or not body or "x-www-form-urlencoded" not in headers.get("content-type", ""):
        return {}
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def _by_target(names: Sequence[str], target: str, body: bytes) -> Wire:
    prefix, _, operation = target.rpartition(".")
    svc = next((service(n) for n in names if service(n).target_prefix == prefix), service(names[0]))
    try:
        params = json.loads(body) if body else {}
    except ValueError:
        params = {}
    return Wire(svc.name, operation, "json", params if isinstance(params, dict) else {}, operation in svc.operations)


def _by_cbor_path(names: Sequence[str], path: str, body: bytes) -> Wire:
    head, _, operation = path.rstrip("/").rpartition("/operation/")
    service_id = head.rsplit("/", 1)[-1]
    svc = next((service(n) for n in names if service(n).target_prefix == service_id), service(names[0]))
    params: Any = {}
    if body:
        try:
            parser = RpcV2CBORParser()
            params = parser.parse_data_item(parser.get_peekable_stream_from_bytes(body))
        except Exception:  # a malformed body still names its operation
            params = {}
    return Wire(svc.name, operation, _CBOR, params if isinstance(params, dict) else {}, operation in svc.operations)


def decode_query(pairs: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Query-protocol parameters (`Tags.member.1.Key=k`, `Attributes.entry.1.key=k`) as JSON-shaped values."""
    root: dict[Any, Any] = {}
    for key, values in pairs.items():
        if key in ("Action", "Version") or not values:
            continue
        node = root
        parts = [int(p) if p.isdigit() else p for p in key.split(".")]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = values[0]
    decoded: dict[str, Any] = _finish(root)
    return decoded


def _finish(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node.keys() == {"member"} and isinstance(node["member"], dict):
        return _finish(node["member"])
    if node.keys() == {"entry"} and isinstance(node["entry"], dict):
        entries = [_finish(v) for v in node["entry"].values()]
        return {e.get("key"): e.get("value") for e in entries if isinstance(e, dict)}
    if node and all(isinstance(k, int) for k in node):
        return [_finish(node[k]) for k in sorted(node)]
    return {k: _finish(v) for k, v in node.items()}
