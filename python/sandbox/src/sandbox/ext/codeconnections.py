"""CodeStar Connections and CodeConnections (moto has neither), plus a stand-in for the Git provider.

The AWS API (`_connections_api`) is served for both services over the JSON protocol (X-Amz-Target), inside
IAM enforcement. What happens outside AWS on a real account has sandbox-only routes, without IAM:

- `POST /_sandbox/codeconnections/complete` {"connection_arn"}: the console handshake (Update pending
  connection, install the provider app) that moves a connection from PENDING to AVAILABLE;
- `POST /_sandbox/codeconnections/push` {"repository": "owner/name", "branch", "files": {path: base64},
  "message"}: a push to the Git provider (the branch's whole tree). Every pipeline whose
  CodeStarSourceConnection action watches that repository and branch through an AVAILABLE connection
  starts, as the provider's webhook and a V2 push trigger do (DetectChanges "false" opts out);
- `GET /_sandbox/codeconnections/repository?repository=owner/name&branch=main`: the branch head and its files.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.codepipeline.models import codepipeline_backends
from moto.iam.models import get_account_id_from

from sandbox.ext import _connections_api as api
from sandbox.ext import _connections_store as store
from sandbox.iam.principals import signature_of

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
# X-Amz-Target prefix -> the ARN service its CreateConnection makes. botocore sends its model's full
# targetPrefix; the Go SDK (Terraform's provider) sends only the last part, which AWS accepts too.
_FULL_TARGETS = {
    "com.amazonaws.codestar.connections.CodeStar_connections_20191201": "codestar-connections",
    "com.amazonaws.codeconnections.CodeConnections_20231201": "codeconnections",
}
TARGETS = {**_FULL_TARGETS, **{k.rsplit(".", 1)[1]: v for k, v in _FULL_TARGETS.items()}}
ROUTE = "/_sandbox/codeconnections/"
SOURCE_PROVIDER = "CodeStarSourceConnection"


class RouteError(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def _send(start_response: Callable[..., Any], status: str, body: bytes, content_type: str) -> Iterable[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = str(environ.get("CONTENT_LENGTH") or "0")
    raw = environ["wsgi.input"].read(int(length)) if length.isdigit() else b""
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise RouteError("400 Bad Request", "the body is not JSON") from None
    if not isinstance(data, dict):
        raise RouteError("400 Bad Request", "the body must be a JSON object")
    return data


def _serve_api(environ: dict[str, Any], start_response: Callable[..., Any], service: str, operation: str) -> Any:
    content_type = str(environ.get("CONTENT_TYPE") or "application/x-amz-json-1.0").split(";")[0]
    signature = signature_of(str(environ.get("HTTP_AUTHORIZATION", "")))
    if signature is None:
        body = {"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"}
        return _send(start_response, "403 Forbidden", json.dumps(body).encode(), content_type)
    account, region = get_account_id_from(signature.access_key), signature.region
    handler = api.OPERATIONS.get(operation)
    try:
        if handler is None:
            raise api.ConnectionsError("UnknownOperationException", f"The sandbox does not serve {operation}")
        params = _read_json(environ)
        answer = handler(service, account, region, params)
    except (api.ConnectionsError, RouteError) as exc:
        code = exc.code if isinstance(exc, api.ConnectionsError) else "SerializationException"
        body = {"__type": code, "message": str(exc)}
        return _send(start_response, "400 Bad Request", json.dumps(body).encode(), content_type)
    return _send(start_response, "200 OK", json.dumps(answer).encode(), content_type)


def complete(arn: str) -> store.Connection:
    """The console handshake: PENDING -> AVAILABLE (an AVAILABLE connection stays so)."""
    connection = store.find(arn)
    if connection is None:
        raise RouteError("404 Not Found", f"no connection {arn}")
    if connection.status != store.AVAILABLE:
        connection.status = store.AVAILABLE
        log.info("connection %s completed: AVAILABLE", arn)
    return connection


def _watchers(repository: str, branch: str) -> list[tuple[Any, str, str, str]]:
    """(backend, pipeline name, account, connection ARN) of every pipeline a push to repository@branch starts."""
    found = []
    for account, by_region in list(codepipeline_backends.items()):
        for backend in list(by_region.values()):
            for name, pipeline in list(backend.pipelines.items()):
                for stage in pipeline.pipeline["stages"][:1]:
                    for action in stage["actions"]:
                        config = action.get("configuration") or {}
                        if (
                            action["actionTypeId"]["provider"] == SOURCE_PROVIDER
                            and config.get("FullRepositoryId") == repository
                            and config.get("BranchName") == branch
                            and str(config.get("DetectChanges", "true")).lower() != "false"
                        ):
                            connection = store.find(str(config.get("ConnectionArn", "")))
                            if connection is not None and connection.status == store.AVAILABLE:
                                found.append((backend, name, account, connection.arn))
                                break
    return found


def push(request: dict[str, Any]) -> dict[str, Any]:
    from sandbox.ext._pipeline_engine import start

    repository, branch = str(request.get("repository") or ""), str(request.get("branch") or "main")
    if repository.count("/") < 1 or repository.startswith("/"):
        raise RouteError("400 Bad Request", "repository must be <owner>/<name>")
    raw_files = request.get("files")
    if not isinstance(raw_files, dict) or not raw_files:
        raise RouteError("400 Bad Request", "files must be a non-empty object of paths to base64 contents")
    try:
        files = {str(p).lstrip("/"): base64.b64decode(str(c), validate=True) for p, c in raw_files.items()}
    except binascii.Error:
        raise RouteError("400 Bad Request", "every file content must be base64") from None
    commit = store.push(repository, branch, files, str(request.get("message") or "sandbox push"))
    started = []
    for backend, name, account, arn in _watchers(repository, branch):
        execution_id = start(backend, name, None, {"triggerType": "WebhookV2", "triggerDetail": arn})
        where = {"account": account, "region": backend.region_name}
        started.append({**where, "pipeline": name, "executionId": execution_id})
    return {"commitId": commit.commit_id, "startedExecutions": started}


def _repository(query: str) -> dict[str, Any]:
    params = parse_qs(query)
    repository = (params.get("repository") or [""])[0]
    branch = (params.get("branch") or ["main"])[0]
    commit = store.head(repository, branch)
    if commit is None:
        raise RouteError("404 Not Found", f"{repository}@{branch} has no commit")
    files = {p: base64.b64encode(c).decode() for p, c in sorted(commit.files.items())}
    return {"commitId": commit.commit_id, "message": commit.message, "files": files}


def _serve_route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    try:
        if path == ROUTE + "complete" and method == "POST":
            answer = {"connection": complete(str(_read_json(environ).get("connection_arn") or "")).to_api()}
        elif path == ROUTE + "push" and method == "POST":
            answer = push(_read_json(environ))
        elif path == ROUTE + "repository" and method == "GET":
            answer = _repository(str(environ.get("QUERY_STRING", "")))
        else:
            raise RouteError("404 Not Found", f"no route {method} {path}")
    except RouteError as exc:
        return _send(start_response, exc.status, json.dumps({"error": str(exc)}).encode(), "application/json")
    return _send(start_response, "200 OK", json.dumps(answer).encode(), "application/json")


def wrap(app: WSGIApp) -> WSGIApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        prefix, _, operation = target.rpartition(".")
        if prefix in TARGETS:
            return _serve_api(environ, start_response, TARGETS[prefix], operation)
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(ROUTE):
            return _serve_route(environ, start_response)
        if path.startswith("/moto-api/reset"):
            store.reset()
        return app(environ, start_response)

    return middleware
