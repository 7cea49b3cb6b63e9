"""Chaos mode: throttling, server errors and latency injected into chosen AWS calls at a seeded rate.

Off unless `SANDBOX_CHAOS` (or `python -m sandbox start|serve --chaos`) holds a spec, or a test switches it at
runtime with `PUT /_sandbox/chaos` (the spec as JSON; `DELETE` turns it off, answering what was injected; `GET`
shows the spec and what was injected, per operation). A disturbed call is answered before anything runs
(nothing is created, so a retried create never finds its own resource) in the service's own error shape
(`_chaos_replies`); latency delays the call, then lets it run. Only signed AWS API calls are disturbed:
`/_sandbox` and `/moto-api` never are.

The middleware sits outside the lock that serialises moto (`server.serialized`), so an injected delay never
holds up other callers, and outside IAM enforcement, as AWS's own front end throttles before authorizing.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from sandbox.ext import _chaos_replies, _chaos_spec
from sandbox.ext._chaos_spec import ChaosSpec, ChaosSpecError
from sandbox.ext.iam_enforce import _body, _headers
from sandbox.iam.principals import signature_of
from sandbox.iam.services import prefix_of
from sandbox.iam.services._wire import identify, service

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
CONTROL_PATH = "/_sandbox/chaos"
NEVER = ("/_sandbox", "/moto-api")


class Chaos:
    """The live spec, the per-operation call counters its draws use, and what was injected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spec: ChaosSpec | None = None
        self._calls: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()  # "<operation> <fault>" -> count

    def configure(self, spec: ChaosSpec | None) -> None:
        """A new spec (None: off) starts its counters afresh, so the same spec replays the same faults."""
        with self._lock:
            self.spec = spec
            self._calls.clear()
            self.injected.clear()
        log.info("chaos: %s", json.dumps(spec.as_dict()) if spec else "off")

    def decide(self, operation: str) -> tuple[ChaosSpec, _chaos_spec.Draw] | None:
        with self._lock:
            spec = self.spec
            if spec is None or not spec.matches(operation):
                return None
            n = self._calls[operation]
            self._calls[operation] += 1
            drawn = _chaos_spec.draw(spec, operation, n)
            if drawn is not None:
                self.injected[f"{operation} {drawn.fault}"] += 1
            return (spec, drawn) if drawn is not None else None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"spec": self.spec.as_dict() if self.spec else None, "injected": dict(sorted(self.injected.items()))}


CHAOS = Chaos()


def _json(start_response: Callable[..., Any], status: str, doc: Any) -> Iterable[bytes]:
    body = json.dumps(doc).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _control(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    if method in ("PUT", "POST"):
        try:
            CHAOS.configure(_chaos_spec.parse_text(_body(environ).decode() or "null", CONTROL_PATH))
        except ChaosSpecError as exc:
            return _json(start_response, "400 Bad Request", {"error": str(exc)})
    elif method == "DELETE":  # answers what the run that ends injected
        ended = CHAOS.snapshot()
        CHAOS.configure(None)
        return _json(start_response, "200 OK", {**ended, "spec": None})
    return _json(start_response, "200 OK", CHAOS.snapshot())


def _operation(environ: dict[str, Any]) -> tuple[str, str, str, bool] | None:
    """(IAM prefix, operation, protocol, query-compatible) of a signed AWS API call, else None."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    signature = signature_of(environ.get("HTTP_AUTHORIZATION", ""), query.get("X-Amz-Credential", [""])[0])
    if signature is None:
        return None
    path = environ.get("RAW_URI", environ.get("PATH_INFO", "/")).split("?", 1)[0]
    headers = _headers(environ)
    wire = identify(signature.service, environ.get("REQUEST_METHOD", "GET"), path, query, headers, _body(environ))
    if wire is None or not wire.operation:
        return None
    query_compatible = service(wire.service).model.metadata.get("awsQueryCompatible") is not None
    return prefix_of(wire.service, signature.service), wire.operation, wire.protocol, query_compatible


def _disturb(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes] | None:
    """The injected answer for this call, or None to run it (after any injected delay)."""
    found = _operation(environ)
    if found is None:
        return None
    prefix, operation, protocol, query_compatible = found
    decided = CHAOS.decide(f"{prefix}:{operation}")
    if decided is None:
        return None
    spec, drawn = decided
    if drawn.fault == "latency":
        time.sleep(spec.latency_ms / 1000)
        return None
    if drawn.fault == "throttle":
        failure = _chaos_replies.throttling(prefix, operation, protocol, query_compatible)
    else:
        failure = _chaos_replies.server_error(prefix, drawn.variant)
    log.info("chaos: %s:%s answered %s %s", prefix, operation, failure.status, failure.code)
    content_type = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip()
    answer = _chaos_replies.reply(
        failure, prefix, protocol, query_compatible=query_compatible, json_content_type=content_type,
        request_id=f"chaos-{time.monotonic_ns():x}",
    )  # fmt: skip
    start_response(answer.status, [*answer.headers, ("Content-Length", str(len(answer.body)))])
    return [answer.body]


def outermost(app: WSGIApp) -> WSGIApp:
    """The chaos layer around the whole app (see the module's note on where it sits)."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PATH:
            return _control(environ, start_response)
        if CHAOS.spec is not None and not path.startswith(NEVER):
            answered = _disturb(environ, start_response)
            if answered is not None:
                return answered
        return app(environ, start_response)

    return middleware


def apply() -> None:
    """A bad `SANDBOX_CHAOS` fails the start, naming the field."""
    CHAOS.configure(_chaos_spec.parse_text(os.environ.get(_chaos_spec.ENV, "")))
