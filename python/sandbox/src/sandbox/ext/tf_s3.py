"""S3 bucket policies are decided by the sandbox's one IAM evaluator, not by moto's own check.

moto applies a bucket policy Deny to every object request whatever its Condition (it knows only
StringEquals) and treats any Principal other than "*" as "everyone", so the common TLS-only policy
(`Deny s3:* if Bool aws:SecureTransport = false`) blocked every GetObject/PutObject. Here moto's check
always answers "no opinion": `sandbox.ext.iam_enforce` has already evaluated the request with the
bucket policy, its Principal and its Condition (aws:SecureTransport is "true" unless the request carries
`x-sandbox-secure-transport: false`, since the sandbox stands in for AWS's HTTPS endpoints).

A bare 403 that moto still sends gets AWS's AccessDenied XML body.

Deleting the last version of a key whose other versions are delete markers (what `force_destroy` of a
versioned bucket does, e.g. a Terraform state bucket with lockfile delete markers) made moto dispose of
each version, and its delete markers have no `dispose`: a 500. A delete marker holds no data to dispose.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket, FakeDeleteMarker

from sandbox.ext import _patch

log = logging.getLogger(__name__)

_CREDENTIAL = re.compile(r"Credential=[A-Za-z0-9]+/[^/]+/[^/]+/s3/aws4_request")
_ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message><RequestId>sandbox</RequestId><HostId>sandbox</HostId></Error>"
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    return PermissionResult.NEUTRAL


def wrap(app: WSGIApp) -> WSGIApp:
    """Give bare S3 403s AWS's error body."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        is_s3 = bool(_CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", "") or environ.get("QUERY_STRING", "")))
        bare_403: list[bool] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            length = next((v for k, v in headers if k.lower() == "content-length"), None)
            if is_s3 and status.startswith("403") and length in (None, "0"):
                bare_403.append(True)
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "content-type")]
                headers += [("Content-Type", "application/xml"), ("Content-Length", str(len(_ACCESS_DENIED)))]
            return start_response(status, headers, exc_info)

        body = app(environ, start)
        return [_ACCESS_DENIED] if bare_403 else body

    return middleware


def _dispose_marker(self: FakeDeleteMarker, garbage: bool = False) -> None:
    """A delete marker holds no data: nothing to release."""


def apply() -> None:
    _patch.replace(FakeBucket, "get_permission", get_permission)
    _patch.add(FakeDeleteMarker, "dispose", _dispose_marker)
    log.debug("s3: bucket policies are left to the IAM evaluator")
