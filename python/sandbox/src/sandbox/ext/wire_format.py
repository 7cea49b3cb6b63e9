"""AWS's JSON wire format on every JSON-protocol answer: the protocol's content type, and no `null` members.

moto answers many JSON-protocol calls (Events, KMS, Application Auto Scaling, CloudWatch, Logs, CodeCommit,
CodePipeline) as `text/html` or `application/json`, and serialises absent optional members as `null`. AWS
replies with the `application/x-amz-json-1.x` the client sent and omits absent members; SDKs other than
botocore (Terraform's Go SDK) read the content type. This rewrites only answers, never requests, so it may
sit outside IAM enforcement and also fix the denials that enforcement writes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
JSON_PREFIX = "application/x-amz-json-"


def without_nulls(value: Any) -> Any:
    """`value` with every object member whose value is null removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def json_protocol(environ: dict[str, Any]) -> str | None:
    """The request's `application/x-amz-json-1.x` content type when it is a JSON-protocol call, else None."""
    content_type = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip()
    if environ.get("HTTP_X_AMZ_TARGET") and content_type.startswith(JSON_PREFIX):
        return content_type
    return None


def _collect(result: Iterable[bytes]) -> bytes:
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def rewrite(content_type: str, headers: list[tuple[str, str]], body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body as AWS would send them for this JSON-protocol answer."""
    if body.strip():
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if decoded is not None:
            cleaned = without_nulls(decoded)
            if cleaned != decoded:
                body = json.dumps(cleaned, separators=(",", ":")).encode()
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
    return [*kept, ("Content-Type", content_type), ("Content-Length", str(len(body)))], body


def wrap(app: WSGIApp) -> WSGIApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        content_type = json_protocol(environ)
        if content_type is None:
            return app(environ, start_response)
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            seen.update(status=status, headers=headers, exc_info=exc_info)
            return lambda _data: None  # moto never writes through the legacy write() callable

        body = _collect(app(environ, capture))
        headers, body = rewrite(content_type, list(seen["headers"]), body)
        start_response(seen["status"], headers, seen["exc_info"])
        return [body]

    return middleware
