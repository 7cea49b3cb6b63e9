"""sagemaker-runtime InvokeEndpoint answered by the endpoint itself, deterministically.

moto answers every endpoint from one FIFO queue per account and caches answers by payload with the
endpoint left out of the key. Here the endpoint must exist and be serving; the request goes to the
fleet and variant the endpoint's rollout routes it to, and the answer says which model version and
fleet served it. Predictions are a pure function of (row, model version): the sample model's score, see `predict`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from typing import Any
from urllib.parse import unquote

from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from sandbox.ext import _patch
from sandbox.ext._hosting_backend import refresh
from sandbox.ext._hosting_model import FAULT_MODEL_ERROR, LOCK, Variant
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


def infer(content_type: str, body: str, version: str, constant: float | None = None) -> tuple[str, str]:
    """(response content type, response body) for one request to a model of `version`; with `constant`, a
    model that answers that number for every row."""

    def score(row: str) -> float:
        return predict(row, version) if constant is None else constant

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
    markers = fleet.markers()
    if markers.latency_ms:
        time.sleep(markers.latency_ms / 1000.0)
    body = self.body.decode("utf-8", "replace") if isinstance(self.body, bytes) else str(self.body or "")
    try:
        if markers.fault == FAULT_MODEL_ERROR:
            raise _ContainerFailure(500, "Internal server error: model raised an exception (SANDBOX_FAULT=model-error)")
        content_type, answer = infer(
            self.headers.get("Content-Type") or "", body, variant.model_version, markers.constant_prediction
        )
    except _ContainerFailure as failure:
        log.info("endpoint %s: ModelError %s", name, failure.status)
        return _model_error(account, region, name, failure)
    headers = {
        "Content-Type": content_type,
        "x-Amzn-Invoked-Production-Variant": variant.name,
        "X-Amzn-SageMaker-Custom-Attributes": _custom_attributes(variant, colour),
    }
    return 200, headers, answer


def apply() -> None:
    _patch.replace(SageMakerRuntimeResponse, "invoke_endpoint", invoke_endpoint)
    # Payloads may be binary (images, protobuf); moto would otherwise decode every body as UTF-8 and fail.
    _patch.replace(SageMakerRuntimeResponse, "use_raw_body", True)
