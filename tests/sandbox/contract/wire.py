"""Check one raw HTTP response against its operation: content type, body or headers, or the error format.

The protocol is the one the client resolved (botocore may pick smithy-rpc-v2-cbor over json).
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.parsers import RpcV2CBORParser

from tests.sandbox.contract.shapes import Problems, check

CONTENT_TYPES = {
    "json": ("application/x-amz-json-1.0", "application/x-amz-json-1.1"),
    "rest-json": ("application/json",),
    "query": ("text/xml",),
    "ec2": ("text/xml",),
    "rest-xml": ("application/xml", "text/xml"),
    "smithy-rpc-v2-cbor": ("application/cbor",),
}


def check_response(protocol: str, op: OperationModel, status: int, headers: dict[str, str], body: Any) -> Problems:
    """Mismatches of one response (`body` is bytes, or None for a streamed payload left unread)."""
    headers = {k.lower(): v for k, v in headers.items()}
    payload = (op.output_shape.serialization.get("payload") if op.output_shape else None) if status < 300 else None
    streamed = payload is not None and op.output_shape.members[payload].type_name in ("blob", "string")
    problems = [] if streamed else _content_type(protocol, op, headers, body)
    if status >= 300:
        return problems + _error(protocol, op, status, headers, body or b"")
    shape = op.output_shape
    if shape is None:
        return problems
    problems += _headers(shape, headers)
    if streamed or not body or not body.strip():
        return problems
    return problems + _body(protocol, op, shape, payload, body)


def _content_type(protocol: str, op: OperationModel, headers: dict[str, str], body: Any) -> Problems:
    allowed = CONTENT_TYPES[protocol]
    if protocol == "json":
        allowed = (f"application/x-amz-json-{op.service_model.metadata.get('jsonVersion', '1.0')}",)
    got = headers.get("content-type", "").split(";")[0].strip()
    if protocol in ("rest-xml", "rest-json") and not body:
        return []  # an empty body (S3 PutObject, HeadObject) needs no content type
    return [] if got in allowed else [f"Content-Type {got or '(none)'!r}, the protocol's is {' or '.join(allowed)}"]


def _headers(shape: StructureShape, headers: dict[str, str]) -> Problems:
    problems: Problems = []
    for name, member in shape.members.items():
        if member.serialization.get("location") != "header":
            continue
        raw = headers.get(str(member.serialization.get("name", name)).lower())
        if raw is not None and member.type_name not in ("string", "map"):
            problems += check(member, raw, f"header {name}", typed=False)
        elif raw is not None and member.type_name == "string":
            problems += check(member, raw, f"header {name}")
    return problems


def _body(protocol: str, op: OperationModel, shape: StructureShape, payload: Any, body: bytes) -> Problems:
    if protocol in ("query", "ec2", "rest-xml"):
        root = _strip(ET.fromstring(body))
        if protocol != "rest-xml":
            found = root.find(f"{op.name}Result")
            if found is None:
                return [] if not shape.members else [f"XML: no {op.name}Result element"]
            root = found
        target = shape.members[payload] if payload else shape
        return check(target, from_xml(target, root), "", typed=False)
    value = decode(protocol, body) if body else {}
    if payload:
        return check(shape.members[payload], value, "")
    return check(shape, value, "")


def decode(protocol: str, body: bytes) -> Any:
    if protocol == "smithy-rpc-v2-cbor":
        parser = RpcV2CBORParser()
        return parser.parse_data_item(parser.get_peekable_stream_from_bytes(body))
    return json.load(io.BytesIO(body))


def _strip(element: ET.Element) -> ET.Element:
    for node in element.iter():
        node.tag = node.tag.split("}", 1)[-1]
    return element


def from_xml(shape: Shape, element: ET.Element) -> Any:
    """The element as plain values in the shape's layout (text for scalars), so `check` can judge it."""
    if isinstance(shape, StructureShape):
        return {child.tag: from_xml(_member_by_wire(shape, child.tag), child) for child in element}
    if isinstance(shape, ListShape):
        return [from_xml(shape.member, child) for child in element]
    if isinstance(shape, MapShape):
        entries = {}
        for entry in element:
            key, value = entry.find("key"), entry.find("value")
            entries[key.text if key is not None else ""] = from_xml(shape.value, value) if value is not None else None
        return entries
    return element.text or ""


def _member_by_wire(shape: StructureShape, tag: str) -> Shape:
    for name, member in shape.members.items():
        if member.serialization.get("name", name) == tag:
            return member
    return shape  # unknown: `check` reports the key as no member


def _error(protocol: str, op: OperationModel, status: int, headers: dict[str, str], body: bytes) -> Problems:
    if status < 400:
        return [f"status {status} is neither a success nor an error"]
    if protocol in ("query", "ec2", "rest-xml"):
        root = _strip(ET.fromstring(body)) if body else None
        found = None
        if root is not None:  # query wraps <Error> in <ErrorResponse>; S3 sends <Error> itself
            found = root.find("Code") if root.tag == "Error" else root.find(".//Error/Code")
        if found is None and op.http.get("method") != "HEAD":
            return ["XML error without Error/Code"]
        return []
    value = decode(protocol, body) if body else {}
    if not isinstance(value, dict):
        return [f"error body is a {type(value).__name__}, not an object"]
    code = str(value.get("__type") or value.get("code") or headers.get("x-amzn-errortype", "")).split(":")[0]
    code = code.rsplit("#", 1)[-1]
    if not code:
        return ["error without __type (or x-amzn-ErrorType)"]
    modeled = {e.name: e for e in op.error_shapes}
    fields = {k: v for k, v in value.items() if k not in ("__type", "code")}
    if code not in modeled:
        return [f"{code}.{k}: null" for k, v in fields.items() if v is None]
    shape = modeled[code]
    message = fields.pop("message", fields.pop("Message", None))  # botocore reads either spelling
    for key in ("Message", "message"):
        if key in shape.members and message is not None:
            fields[key] = message
    return check(shape, fields, code)
