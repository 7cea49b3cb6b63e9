"""REST protocols (rest-json, rest-xml): the operation from the HTTP method and the model's requestUri templates.

Several operations share a method and path (S3's `PUT /{Bucket}/{Key+}` is PutObject, CopyObject, UploadPart
or UploadPartCopy); the one whose required query parameters and headers are all present, and most of them,
wins, the way the service itself dispatches. Parameters come back under botocore's member names.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Route:
    operation: str
    pattern: re.Pattern[str]
    literal_query: tuple[tuple[str, str | None], ...]  # from the requestUri's "?a&b=c"
    required_query: tuple[str, ...]  # wire names of required querystring members
    required_headers: tuple[str, ...]  # lower-cased wire names of required header members
    deprecated: bool


@dataclass(frozen=True)
class OpWire:
    """Where each input member of a REST operation travels."""

    labels: tuple[tuple[str, str], ...]  # (uri label = regex group, member)
    query: Mapping[str, tuple[str, bool]]  # wire name -> (member, is a list)
    headers: Mapping[str, str]  # lower-cased header -> member
    json_body: bool


@dataclass(frozen=True)
class Match:
    operation: str
    params: dict[str, Any]


class RestIndex:
    """The routes of one REST service model, built on first use and kept."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.s3 = model.service_name == "s3"
        self._routes: dict[str, tuple[Route, ...]] | None = None
        self._op_wire: dict[str, OpWire] = {}
        self._lock = threading.Lock()

    def routes(self, method: str) -> tuple[Route, ...]:
        if self._routes is None:
            with self._lock:
                if self._routes is None:
                    self._routes = _build_routes(self.model)
        return self._routes.get(method, ())

    def op_wire(self, operation: str) -> OpWire:
        found = self._op_wire.get(operation)
        if found is None:
            found = _op_wire(self.model.operation_model(operation))
            self._op_wire[operation] = found
        return found

    def match(
        self, method: str, path: str, query: Mapping[str, Sequence[str]], headers: Mapping[str, str], body: bytes
    ) -> Match | None:
        if self.s3:
            path = _s3_path_style(path, headers.get("host", ""))
        x_id = (query.get("x-id") or [""])[0]  # the Go and JS SDKs name the operation in ?x-id=
        best: tuple[tuple[int, int, int], Route, re.Match[str]] | None = None
        for route in self.routes(method):
            score = _route_score(route, query, headers)
            if score < 0:
                continue
            found = route.pattern.match(path)
            if found is None:
                continue
            rank = (int(route.operation == x_id), score, int(not route.deprecated))
            if best is None or rank > best[0]:
                best = (rank, route, found)
        if best is None:
            return None
        operation = best[1].operation
        return Match(operation, _params(self.op_wire(operation), best[2], query, headers, body))


def _route_score(route: Route, query: Mapping[str, Sequence[str]], headers: Mapping[str, str]) -> int:
    """How specifically a route matches (more required parts present wins); -1 when a required part is missing."""
    for name, value in route.literal_query:
        if name not in query or (value is not None and (query[name] or [""])[0] != value):
            return -1
    if any(name not in query for name in route.required_query):
        return -1
    if any(name not in headers for name in route.required_headers):
        return -1
    return len(route.literal_query) + len(route.required_query) + len(route.required_headers)


def _s3_path_style(path: str, host: str) -> str:
    """Virtual-hosted `bucket.s3.<domain>` requests as the path-style `/bucket/key` the routes expect."""
    hostname = host.split(":", 1)[0]
    for marker in (".s3.", ".s3-"):
        if marker in hostname and not hostname.startswith(("s3.", "s3-")):
            return "/" + hostname.split(marker, 1)[0] + path
    return path


def _params(
    wire: OpWire, found: re.Match[str], query: Mapping[str, Sequence[str]], headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if wire.json_body and body:
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(decoded)
    for label, member in wire.labels:
        value = found.group(label)
        if value:
            params[member] = unquote(value)
    for name, values in query.items():
        target = wire.query.get(name)
        if target is not None and values:
            params[target[0]] = list(values) if target[1] else values[0]
    for header, text in headers.items():
        header_member = wire.headers.get(header)
        if header_member is not None:
            params[header_member] = text
    return params


def _build_routes(model: Any) -> dict[str, tuple[Route, ...]]:
    routes: dict[str, list[Route]] = {}
    for name in model.operation_names:
        op = model.operation_model(name)
        path, _, literal = op.http["requestUri"].partition("?")
        shape = op.input_shape
        members = shape.members if shape is not None else {}
        required = set(shape.required_members) if shape is not None else set()

        def wire_names(location: str, members: Any = members, required: set[str] = required) -> tuple[str, ...]:
            return tuple(
                m.serialization.get("name", n)
                for n, m in members.items()
                if n in required and m.serialization.get("location") == location
            )

        headers = tuple(h.lower() for h in wire_names("header"))
        route = Route(
            name, _uri_regex(path), _literal_query(literal), wire_names("querystring"), headers, op.deprecated
        )
        routes.setdefault(op.http["method"], []).append(route)
    return {method: tuple(found) for method, found in routes.items()}


def _uri_regex(path: str) -> re.Pattern[str]:
    out = []
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{"):
            label = piece[1:-1]
            greedy = label.endswith("+")
            out.append(f"(?P<{label.rstrip('+')}>{'.+' if greedy else '[^/]+'})")
        else:
            out.append(re.escape(piece))
    return re.compile("".join(out).rstrip("/") + "/?$")


def _literal_query(literal: str) -> tuple[tuple[str, str | None], ...]:
    pairs: list[tuple[str, str | None]] = []
    for part in filter(None, literal.split("&")):
        name, eq, value = part.partition("=")
        pairs.append((name, value if eq else None))
    return tuple(pairs)


def _op_wire(op: Any) -> OpWire:
    labels: list[tuple[str, str]] = []
    query: dict[str, tuple[str, bool]] = {}
    headers: dict[str, str] = {}
    shape = op.input_shape
    for name, member in (shape.members if shape is not None else {}).items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            labels.append((wire_name.rstrip("+"), name))
        elif location == "querystring":
            query[wire_name] = (name, member.type_name == "list")
        elif location == "header":
            headers[wire_name.lower()] = name
    payload = shape.serialization.get("payload") if shape is not None else None
    json_body = payload is None and op.metadata.get("protocol") == "rest-json"
    return OpWire(tuple(labels), query, headers, json_body)
