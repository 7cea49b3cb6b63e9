"""A build's status is what its runner reported, not an instant success.

Stock moto marks every build SUCCEEDED (with a random end time) the first time BatchGetBuilds reads it, so
a caller that starts a build and waits for it (`aws codebuild start-build`, then poll `batch-get-builds`)
would see success for a build that never ran. Here a build stays IN_PROGRESS (phase BUILD, no end time)
until the local build runner, standing for CodeBuild itself, reports how it ended:
`POST /_sandbox/codebuild/build-result` with {"build_id", "status": SUCCEEDED|FAILED|FAULT|STOPPED|TIMED_OUT}.
StopBuild still stops a build at once. No IAM on the report: it is not an AWS API.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from moto.codebuild.models import CodeBuildBackend, codebuild_backends

from sandbox.ext import _patch

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
RESULT_PATH = "/_sandbox/codebuild/build-result"
FINAL = ("SUCCEEDED", "FAILED", "FAULT", "STOPPED", "TIMED_OUT")


def _reports(backend: CodeBuildBackend) -> dict[str, dict[str, str]]:
    reports: dict[str, dict[str, str]] | None = getattr(backend, "sandbox_build_results", None)
    if reports is None:
        reports = {}
        backend.sandbox_build_results = reports  # type: ignore[attr-defined]
    return reports


def _builds(backend: CodeBuildBackend) -> Iterable[dict[str, Any]]:
    for history in backend.build_metadata_history.values():
        yield from history


def batch_get_builds(self: CodeBuildBackend, ids: list[str]) -> list[dict[str, Any]]:
    reports = _reports(self)
    found: list[dict[str, Any]] = []
    for build in _builds(self):
        if build["id"] not in ids:
            continue
        if build.get("buildStatus") == "STOPPED":  # StopBuild's own answer stands
            found.append(copy.deepcopy(build))
            continue
        view = copy.deepcopy(build)
        report = reports.get(build["id"])
        if report is None:
            view.update(buildStatus="IN_PROGRESS", currentPhase="BUILD", buildComplete=False)
            view.pop("endTime", None)
        else:
            view.update(buildStatus=report["status"], currentPhase="COMPLETED", buildComplete=True,
                        endTime=report["end_time"])  # fmt: skip
        found.append(view)
    return found


class ResultError(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def record(request: dict[str, Any]) -> dict[str, str]:
    build_id, status = str(request.get("build_id", "")), request.get("status")
    if status not in FINAL:
        raise ResultError("400 Bad Request", f"status must be one of {', '.join(FINAL)}, not {status!r}")
    for regions in codebuild_backends.values():
        for backend in regions.values():
            if any(b["id"] == build_id for b in _builds(backend)):
                now = datetime.datetime.now(datetime.UTC).isoformat()
                _reports(backend)[build_id] = {"status": str(status), "end_time": now}
                log.info("codebuild: build %s %s", build_id, status)
                return {"id": build_id, "buildStatus": str(status)}
    raise ResultError("404 Not Found", f"no build {build_id}")


def _answer(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def wrap(app: WSGIApp) -> WSGIApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != RESULT_PATH or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        length = str(environ.get("CONTENT_LENGTH") or "0")
        raw = environ["wsgi.input"].read(int(length)) if length.isdigit() else b""
        try:
            request = json.loads(raw or b"{}")
            if not isinstance(request, dict):
                raise ResultError("400 Bad Request", "the body must be a JSON object")
            return _answer(start_response, "200 OK", record(request))
        except ValueError:
            return _answer(start_response, "400 Bad Request", {"error": "the body is not JSON"})
        except ResultError as exc:
            return _answer(start_response, exc.status, {"error": str(exc)})

    return middleware


def apply() -> None:
    _patch.replace(CodeBuildBackend, "batch_get_builds", batch_get_builds)
