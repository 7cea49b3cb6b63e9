"""S3 bucket policies evaluated with their Principal and Condition, as AWS does.

moto applies a bucket policy Deny to every object request whatever its Condition (it knows only
StringEquals and ignores other operators, so the statement always applies) and treats any
Principal other than "*" as "everyone". The common TLS-only policy
(`Deny s3:* if Bool aws:SecureTransport = false`) then blocks every GetObject/PutObject.

Here each object request gets a request context:
- `aws:SecureTransport` is "true". The sandbox speaks plain http on loopback, but it stands in
  for AWS's HTTPS endpoints and every AWS client talks TLS to those; calling the loopback hop
  "insecure" would make the recommended TLS-only policy unusable in the sandbox without saying
  anything about the real deployment. A request can claim otherwise with the header
  `x-sandbox-secure-transport: false` (tests use it to prove the Deny still fires).
- `aws:PrincipalArn` (the role ARN for an assumed role, as AWS reports it), `aws:PrincipalAccount`,
  `aws:userid`-free; `aws:SourceAccount`/`aws:SourceArn` are absent, as for any non-service caller.
- `s3:x-amz-server-side-encryption`, `s3:x-amz-server-side-encryption-aws-kms-key-id`, `s3:x-amz-acl`
  from the request headers.
A bare 403 from the object handler gets AWS's AccessDenied XML body.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from moto.iam import models as iam_models
from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket
from moto.sts.models import sts_backends

from sandbox.ext.tf_iam import UnsupportedCondition, as_list, conditions_hold, principal_matches

log = logging.getLogger(__name__)

SECURE_TRANSPORT_HEADER = "HTTP_X_SANDBOX_SECURE_TRANSPORT"
_CREDENTIAL = re.compile(r"Credential=([A-Za-z0-9]+)/[^/]+/[^/]+/([a-z0-9-]+)/aws4_request")
_ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message><RequestId>sandbox</RequestId><HostId>sandbox</HostId></Error>"
)
# HEAD and POST object requests are authorized as these actions in AWS.
_ACTION_ALIASES = {"s3:HeadObject": "s3:GetObject", "s3:PostObject": "s3:PutObject"}
_HEADER_KEYS = {
    "HTTP_X_AMZ_SERVER_SIDE_ENCRYPTION": "s3:x-amz-server-side-encryption",
    "HTTP_X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID": "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "HTTP_X_AMZ_ACL": "s3:x-amz-acl",
}


@dataclass
class RequestInfo:
    access_key: str | None
    service: str | None
    secure_transport: bool = True
    headers: dict[str, str] = field(default_factory=dict)


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("sandbox_s3_request", default=None)


def request_info(environ: dict[str, Any]) -> RequestInfo:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL.search(auth)
    if not match:
        # Presigned URL: the credential is in the query string.
        credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
        match = _CREDENTIAL.search(f"Credential={credential}")
    secure = environ.get(SECURE_TRANSPORT_HEADER, "true").strip().lower() != "false"
    headers = {key: str(environ[env]) for env, key in _HEADER_KEYS.items() if env in environ}
    return RequestInfo(
        access_key=match.group(1) if match else None,
        service=match.group(2) if match else None,
        secure_transport=secure,
        headers=headers,
    )


def caller_identities(access_key: str) -> tuple[str, list[str]]:
    """(account, ARNs that name the caller): role and session ARN for an assumed role."""
    account: str = iam_models.get_account_id_from(access_key)
    for regions in list(sts_backends.values()):
        for backend in list(regions.values()):
            role = backend.get_assumed_role_from_access_key(access_key)
            if role is not None:
                return role.account_id, [role.role_arn, role.arn]
    iam = iam_models.iam_backends[account]["aws"]
    user = iam.get_user_from_access_key_id(access_key)
    if user is not None:
        return account, [user.arn]
    # Credentials moto did not issue (the sandbox's default keys): the account itself.
    return account, [f"arn:aws:iam::{account}:root"]


def request_context(info: RequestInfo | None) -> tuple[dict[str, list[str]], list[str], str | None]:
    """(condition context with lower-cased keys, caller ARNs, caller account)."""
    info = info or RequestInfo(access_key=None, service=None)
    context: dict[str, list[str]] = {"aws:securetransport": ["true" if info.secure_transport else "false"]}
    for key, value in info.headers.items():
        context[key.lower()] = [value]
    if not info.access_key:
        return context, [], None
    account, arns = caller_identities(info.access_key)
    context["aws:principalarn"] = [arns[0]]
    context["aws:principalaccount"] = [account]
    return context, arns, account


def _wild(pattern: str, value: str, ignore_case: bool) -> bool:
    regex = "^" + ".*".join(".".join(map(re.escape, part.split("?"))) for part in pattern.split("*")) + "$"
    return re.match(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _any(patterns: Iterable[str], value: str, ignore_case: bool = False) -> bool:
    return any(_wild(p, value, ignore_case) for p in patterns)


def evaluate(policy: dict[str, Any], action: str, resource: str, info: RequestInfo | None) -> PermissionResult:
    """Bucket policy decision for one request: DENIED, PERMITTED or NEUTRAL (no statement applies)."""
    action = _ACTION_ALIASES.get(action, action)
    context, arns, account = request_context(info)
    # Anonymous callers match only a "*" principal.
    callers: list[str | None] = [*arns] or [None]
    permitted = False
    for statement in as_list(policy.get("Statement")):
        if "NotAction" in statement:
            if _any(as_list(statement["NotAction"]), action, ignore_case=True):
                continue
        elif not _any(as_list(statement.get("Action")), action, ignore_case=True):
            continue
        if "NotResource" in statement:
            if _any(as_list(statement["NotResource"]), resource):
                continue
        elif not _any(as_list(statement.get("Resource")), resource):
            continue
        if "NotPrincipal" in statement:
            if any(principal_matches(statement["NotPrincipal"], arn, account) for arn in callers):
                continue
        elif not any(principal_matches(statement.get("Principal"), arn, account) for arn in callers):
            continue
        try:
            if not conditions_hold(statement.get("Condition"), context):
                continue
        except UnsupportedCondition as exc:
            log.warning("bucket policy statement %s skipped: condition %s not evaluated", statement.get("Sid"), exc)
            continue
        if statement.get("Effect") == "Deny":
            return PermissionResult.DENIED
        permitted = True
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    return evaluate(json.loads(self.policy), action, resource, _current.get())


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def wrap(app: WSGIApp) -> WSGIApp:
    """Record who is asking (for the policy context) and give bare S3 403s AWS's error body."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        info = request_info(environ)
        token = _current.set(info)
        bare_403: list[bool] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            length = next((v for k, v in headers if k.lower() == "content-length"), None)
            if info.service == "s3" and status.startswith("403") and length in (None, "0"):
                bare_403.append(True)
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "content-type")]
                headers += [("Content-Type", "application/xml"), ("Content-Length", str(len(_ACCESS_DENIED)))]
            return start_response(status, headers, exc_info)

        try:
            body = app(environ, start)
            if bare_403:
                return [_ACCESS_DENIED]
            return body
        finally:
            _current.reset(token)

    return middleware


def apply() -> None:
    FakeBucket.get_permission = get_permission
    log.debug("s3: bucket policies evaluate Principal and Condition")
