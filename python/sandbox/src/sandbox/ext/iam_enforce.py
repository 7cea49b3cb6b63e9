"""IAM enforcement for every signed request, as the outermost WSGI layer.

For each request: who signed it (sandbox.iam.principals), what IAM checks for it (sandbox.iam.requests:
action, resource, context, dependent actions), and the one evaluator's decision (sandbox.iam.engine).
A refusal is answered here in the service's own error shape, before moto sees the request, so nothing
changes. `GET /_sandbox/iam/report` serves the least-privilege report (`python -m sandbox iam-report`).
"""

from __future__ import annotations

import contextvars
import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from sandbox.iam import denials, report, simulate
from sandbox.iam.engine import engine, mode
from sandbox.iam.model import Authorization, Principal
from sandbox.iam.principals import UnknownCredentials, signature_of
from sandbox.iam.requests import HttpRequest, parse
from sandbox.iam.resolver import MotoResolver

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
REPORT_PATH = "/_sandbox/iam/report"
AUTHORIZE_PATH = "/_sandbox/iam/authorize"
SERVICE_ASSUME_PATH = "/_sandbox/sts/assume-role-as-service"
SECURE_TRANSPORT_HEADER = "HTTP_X_SANDBOX_SECURE_TRANSPORT"

# The caller of the request being served, for extensions that act on its behalf.
current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("iam_principal", default=None)
_resolver = MotoResolver()


def _body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        data = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        data = stream.read()
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    return bytes(data)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _reply(start_response: Callable[..., Any], reply: denials.Reply) -> Iterable[bytes]:
    start_response(reply.status, [*reply.headers, ("Content-Length", str(len(reply.body)))])
    return [reply.body]


def _serve_report(start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps(report.build(engine().audit.snapshot()), indent=2).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _serve_authorize(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Permission-only actions that a service checks for a caller but that have no API of their own (CodeBuild's
    report upload: codebuild:CreateReport, UpdateReport, BatchPutTestCases). The local CodeBuild runner asks
    here, with the build role's access key, so the decision is the evaluator's and lands in the report."""
    request = json.loads(_body(environ) or b"{}")
    the_engine = engine()
    try:
        principal = the_engine.directory.resolve(str(request.get("access_key", "")))
    except UnknownCredentials:
        return _reply(start_response, denials.invalid_token("json"))
    region = str(request.get("region") or "us-east-1")
    answers = []
    for call in request.get("calls", []):
        authz = Authorization(str(call["action"]), str(call["resource"]))
        verdict = the_engine.authorize(principal, authz, region=region, operation=str(request.get("operation", "")))
        answers.append({"action": authz.action, "resource": authz.resource, "allowed": not verdict.refused,
                        "message": verdict.message})  # fmt: skip
    body = json.dumps({"decisions": answers}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _serve_service_assume(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Credentials for a role as a service gets them (CodeBuild for a project's service role): decided by the
    role's trust policy for that service principal, with aws:SourceAccount and aws:SourceArn, as AWS does.
    The local CodeBuild runner uses it; an operator's own credentials could not assume a service role."""
    request = json.loads(_body(environ) or b"{}")
    service, role_arn = str(request.get("service", "")), str(request.get("role_arn", ""))
    source_arn = str(request.get("source_arn", ""))
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    principal = Principal(account=account, arn=service, principal_arn=service, service=service)
    context = {"aws:sourceaccount": [account], **({"aws:sourcearn": [source_arn]} if source_arn else {})}
    authz = Authorization("sts:AssumeRole", role_arn, account, context)
    verdict = engine().authorize(principal, authz, region=str(request.get("region") or "us-east-1"),
                                 operation="AssumeRole (service)")  # fmt: skip
    if verdict.refused:
        body = json.dumps({"error": verdict.message}).encode()
        start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    from moto.sts.models import sts_backends

    role = sts_backends[account]["aws"].assume_role(
        region_name=str(request.get("region") or "us-east-1"),
        role_session_name=str(request.get("session_name") or service.split(".")[0]),
        role_arn=role_arn,
        policy="",
        duration=3600,
        external_id="",
    )
    credentials = {
        "AccessKeyId": role.access_key_id,
        "SecretAccessKey": role.secret_access_key,
        "SessionToken": role.session_token,
    }
    body = json.dumps({"Credentials": credentials}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _check(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes] | Principal | None:
    """A refusal to send, or the caller to let through (None: unsigned, not ours to judge)."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    signature = signature_of(environ.get("HTTP_AUTHORIZATION", ""), query.get("X-Amz-Credential", [""])[0])
    if signature is None:
        return None
    body = _body(environ)
    the_engine = engine()
    try:
        principal = the_engine.directory.resolve(signature.access_key)
    except UnknownCredentials:
        return _reply(start_response, denials.invalid_token("json"))
    request = HttpRequest(
        service=signature.service,
        region=signature.region,
        account=principal.account,
        method=environ.get("REQUEST_METHOD", "GET"),
        path=environ.get("RAW_URI", environ.get("PATH_INFO", "/")).split("?", 1)[0],
        query=query,
        headers=_headers(environ),
        body=body,
    )
    parsed = parse(request, _resolver)
    if parsed is None:
        return principal
    if not parsed.exact:
        the_engine.audit.note_unexact(f"{parsed.service_prefix}:{parsed.operation}")
    secure = str(environ.get(SECURE_TRANSPORT_HEADER, "true")).strip().lower() != "false"
    context = the_engine.global_context(principal, signature.region, secure)
    for authz in parsed.authorizations:
        verdict = the_engine.authorize(
            principal, authz, region=signature.region, operation=parsed.operation, context=context
        )
        if verdict.refused:
            return _reply(
                start_response, denials.access_denied(parsed.service_prefix, parsed.protocol, verdict.message)
            )
    if parsed.service_prefix == "iam" and parsed.operation in simulate.OPERATIONS:
        xml = simulate.answer(parsed.operation, body, principal.account)
        return _reply(start_response, denials.Reply("200 OK", [("Content-Type", "text/xml")], xml))
    return principal


def wrap(app: WSGIApp) -> WSGIApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == REPORT_PATH:
            return _serve_report(start_response)
        if path == AUTHORIZE_PATH and environ.get("REQUEST_METHOD") == "POST":
            return _serve_authorize(environ, start_response)
        if path == SERVICE_ASSUME_PATH and environ.get("REQUEST_METHOD") == "POST":
            return _serve_service_assume(environ, start_response)
        if path.startswith("/moto-api/reset"):
            engine().directory.clear()
        if mode() == "off" or path.startswith(("/moto-api", "/_sandbox")):
            return app(environ, start_response)
        outcome = _check(environ, start_response)
        if outcome is not None and not isinstance(outcome, Principal):
            return outcome
        token = current_principal.set(outcome)
        try:
            return app(environ, start_response)
        finally:
            current_principal.reset(token)

    return middleware


def apply() -> None:
    mode()  # a bad SANDBOX_IAM fails the start, naming the allowed values
    log.info("iam: enforcement mode %s", mode())
