"""sagemaker-runtime InvokeEndpoint answered by the endpoint itself, deterministically.

moto answers every endpoint from one FIFO queue per account and caches answers by payload with the
endpoint left out of the key. Here the endpoint must exist and be serving; the request goes to the
fleet and variant the endpoint's rollout routes it to, and the answer says which model version and
fleet served it. Predictions are a pure function of (row, model version): the sample model's score, see `predict`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from moto.core.utils import utcnow
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from sandbox import clock
from sandbox.ext import _patch
from sandbox.ext._hosting_backend import refresh
from sandbox.ext._hosting_capture import record, write
from sandbox.ext._hosting_metrics import Served, emit
from sandbox.ext._hosting_model import FAULT_MODEL_ERROR, LOCK, Fleet, Markers, Variant
from sandbox.ext._hosting_progress import predict, route

log = logging.getLogger(__name__)

SERVING = ("InService", "Updating")
Response = tuple[int, dict[str, str], str]


class _ContainerFailure(Exception):
    """The model container answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, code: str, message: str, **fields: Any) -> Response:
    body = {"__type": code, "message": message, **fields}
    # moto takes the status from the headers, not from the tuple.
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "status": str(status)}
    return status, headers, json.dumps(body)


def _model_error(account: str, region: str, endpoint: str, failure: _ContainerFailure) -> Response:
    group = f"/aws/sagemaker/Endpoints/{endpoint}"
    kind = "client" if failure.status < 500 else "server"
    message = (
        f'Received {kind} error ({failure.status}) from primary with message "{failure.message}". '
        f"See https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:group={group} "
        f"in account {account} for more information."
    )
    return _error(
        424,
        "ModelError",
        message,
        OriginalStatusCode=failure.status,
        OriginalMessage=failure.message,
        LogStreamArn=f"arn:aws:logs:{region}:{account}:log-group:{group}",
    )


def _rows_from_json(body: str) -> list[Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise _ContainerFailure(400, f"Could not parse the JSON request body: {exc}") from exc
    if isinstance(data, dict) and "instances" in data:
        data = data["instances"]
    if not isinstance(data, list):
        raise _ContainerFailure(400, 'Expected a JSON list of rows or an object {"instances": [...]}.')
    return data


def infer(
    content_type: str, body: str, version: str, constant: float | None = None, offset: float = 0.0
) -> tuple[str, str]:
    """(response content type, response body) for one request to a model of `version`; with `constant`, a
    model that answers that number for every row; `offset` is added to every score (a worse model)."""

    def score(row: str) -> float:
        value = predict(row, version) if constant is None else constant
        return round(value + offset, 6) if offset else value

    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "text/csv":
        rows = [",".join(cell.strip() for cell in row) for row in csv.reader(io.StringIO(body)) if row]
        return "text/csv", "\n".join(str(score(row)) for row in rows) + ("\n" if rows else "")
    if kind in ("application/json", "application/jsonlines", ""):
        rows = _rows_from_json(body)
        predictions = [score(json.dumps(row, sort_keys=True, separators=(",", ":"))) for row in rows]
        return "application/json", json.dumps({"predictions": predictions})
    raise _ContainerFailure(415, f"Unsupported content type {content_type}; use text/csv or application/json.")


def _custom_attributes(variant: Variant, fleet_colour: str) -> str:
    return f"model_package_arn={variant.model_package_arn};model_version={variant.model_version};fleet={fleet_colour}"


def _draw(markers: Markers, variant: Variant, n: int) -> float:
    """A uniform number in [0, 1) for the n-th request to a variant of this name: seeded, so a run replays
    exactly, and two endpoints with the same seed fail the same requests."""
    digest = hashlib.sha256(f"{markers.seed}\x00{variant.name}\x00{n}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class _Request:
    content_type: str
    body: bytes
    inference_id: str  # InvokeEndpoint's InferenceId, "" when not given


@dataclass
class _Outcome:
    served: Served
    content_type: str = ""
    answer: str = ""
    failure: _ContainerFailure | None = None


def _run_model(variant: Variant, n: int, content_type: str, body: str, wait: bool) -> _Outcome:
    """One request through one variant's container; `wait` is False for a shadow, whose time nobody waits for."""
    started = time.monotonic()
    markers = variant.markers()
    simulated_ms = markers.model_latency_ms or 0.0
    # OverheadLatency: the sandbox's own handling before the container runs (real, a few microseconds).
    overhead_us = max(1, round((time.monotonic() - started) * 1e6))
    if wait and (markers.latency_ms or simulated_ms):
        time.sleep(markers.latency_ms / 1000.0 + simulated_ms / 1000.0 * clock.time_scale())
    computed = time.monotonic()
    failure: _ContainerFailure | None = None
    kind, answer = "", ""
    try:
        if markers.fault == FAULT_MODEL_ERROR:
            raise _ContainerFailure(500, "Internal server error: model raised an exception (SANDBOX_FAULT=model-error)")
        if markers.error_rate and _draw(markers, variant, n) < markers.error_rate:
            raise _ContainerFailure(500, "Internal server error: model raised an exception (SANDBOX_ERROR_RATE)")
        kind, answer = infer(
            content_type, body, variant.model_version, markers.constant_prediction, markers.prediction_offset
        )
    except _ContainerFailure as exc:
        failure = exc
    # ModelLatency is what the markers say (simulated ms count as AWS ms), or the real compute time.
    if markers.latency_ms or markers.model_latency_ms is not None:
        model_us = round((markers.latency_ms + simulated_ms) * 1000)
    else:
        model_us = max(1, round((time.monotonic() - computed) * 1e6))
    served = Served(failure.status if failure else 200, model_us, overhead_us)
    return _Outcome(served, kind, answer, failure)


def _observe(
    account: str,
    region: str,
    endpoint: str,
    fleet: Fleet,
    variant: Variant,
    request: _Request,
    outcome: _Outcome,
) -> None:
    """What AWS records of a served request: the variant's metrics, and its data capture when sampled."""
    emit(account, region, endpoint, variant.name, variant.instance_count, outcome.served)
    if outcome.failure is not None:
        return
    with LOCK:
        counter = variant.captured
        variant.captured += 1
    now = utcnow()
    line = record(
        fleet.data_capture,
        counter,
        (request.content_type, request.body),
        (outcome.content_type, outcome.answer.encode()),
        now,
        request.inference_id,
    )
    if line is not None:
        write(fleet.data_capture, endpoint, variant.name, line, now)


def _shadow(account: str, region: str, endpoint: str, fleet: Fleet, shadow: Variant, n: int, request: _Request) -> None:
    """Mirror a request to the shadow variant: its answer and any failure stay inside the endpoint."""
    try:
        body = request.body.decode("utf-8", "replace")
        outcome = _run_model(shadow, n, request.content_type, body, wait=False)
        _observe(account, region, endpoint, fleet, shadow, request, outcome)
    except Exception:  # a broken shadow never reaches the caller
        log.exception("endpoint %s: shadow variant %s failed", endpoint, shadow.name)


def invoke_endpoint(self: Any) -> Response:
    account, region = self.current_account, self.region
    name = unquote(self.path.split("?", 1)[0].split("/")[2])
    endpoint = sagemaker_backends[account][region].endpoints.get(name)
    not_found = f"Endpoint {name} of account {account} not found."
    if endpoint is None:
        return _error(400, "ValidationError", not_found)
    with LOCK:
        state = refresh(endpoint)
        if state is None or state.status not in SERVING:
            # AWS answers "not found" for an endpoint that exists but has no serving fleet (Creating, Failed).
            return _error(400, "ValidationError", not_found)
        fleet, variant, colour = route(state)
        shadow = fleet.next_shadow()
        n = variant.served
        variant.served += 1
        shadow_n = 0
        if shadow is not None:
            shadow_n = shadow.served
            shadow.served += 1
    raw = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
    content_type = self.headers.get("Content-Type") or ""
    request = _Request(content_type, raw, self.headers.get("X-Amzn-SageMaker-Inference-Id") or "")
    outcome = _run_model(variant, n, content_type, raw.decode("utf-8", "replace"), wait=True)
    _observe(account, region, name, fleet, variant, request, outcome)
    if shadow is not None:
        _shadow(account, region, name, fleet, shadow, shadow_n, request)
    if outcome.failure is not None:
        log.info("endpoint %s: ModelError %s", name, outcome.failure.status)
        return _model_error(account, region, name, outcome.failure)
    headers = {
        "Content-Type": outcome.content_type,
        "x-Amzn-Invoked-Production-Variant": variant.name,
        "X-Amzn-SageMaker-Custom-Attributes": _custom_attributes(variant, colour),
    }
    return 200, headers, outcome.answer


def apply() -> None:
    _patch.replace(SageMakerRuntimeResponse, "invoke_endpoint", invoke_endpoint)
    # Payloads may be binary (images, protobuf); moto would otherwise decode every body as UTF-8 and fail.
    _patch.replace(SageMakerRuntimeResponse, "use_raw_body", True)
