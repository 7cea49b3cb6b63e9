"""Doubles for the smoke tests' unit tests: a sagemaker-runtime stand-in, a clock, models, and cases files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sandbox.ext._hosting_progress import predict
from tests.conftest import REPO

SEED_SMOKE = REPO / "seed" / "tests" / "smoke"


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


class FakeRuntime:
    """A sagemaker-runtime double: answers from a function of the request, each taking `delay_ms` on `clock`."""

    def __init__(
        self,
        answer: Callable[[dict[str, Any]], tuple[str, bytes]],
        clock: FakeClock | None = None,
        delays_ms: list[float] | None = None,
    ) -> None:
        self.answer = answer
        self.clock = clock
        self.delays_ms = list(delays_ms or [])
        self.requests: list[dict[str, Any]] = []

    def invoke_endpoint(self, **kwargs: Any) -> Any:
        self.requests.append(kwargs)
        if self.clock is not None and self.delays_ms:
            self.clock.now += self.delays_ms.pop(0) / 1000.0
        content_type, body = self.answer(kwargs)
        return {
            "Body": Body(body),
            "ContentType": content_type,
            "InvokedProductionVariant": "AllTraffic",
            "CustomAttributes": "model_package_arn=arn:x;model_version=3;fleet=blue",
        }


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def good_model(request: dict[str, Any]) -> tuple[str, bytes]:
    """Answers as the sandbox's sample model (v3) does: its score for each row."""
    body = request["Body"].decode()
    if request["ContentType"] == "text/csv":
        rows = [",".join(c.strip() for c in line.split(",")) for line in body.splitlines() if line.strip()]
        return "text/csv", "".join(f"{predict(row, '3')}\n" for row in rows).encode()
    data = json.loads(body)
    rows = data["instances"] if isinstance(data, dict) else data
    scores = [predict(json.dumps(row, sort_keys=True, separators=(",", ":")), "3") for row in rows]
    return "application/json", json.dumps({"predictions": scores}).encode()


def out_of_range_model(request: dict[str, Any]) -> tuple[str, bytes]:
    """A score outside [0, 1] for the second CSV row, 7.5 for every JSON row."""
    content_type, body = good_model(request)
    if content_type == "text/csv":
        lines = body.decode().splitlines()
        lines[1] = "-3.0"
        return content_type, ("\n".join(lines) + "\n").encode()
    return content_type, json.dumps({"predictions": [7.5] * len(json.loads(body)["predictions"])}).encode()


def erroring_model(request: dict[str, Any]) -> tuple[str, bytes]:
    raise ClientError(
        {
            "Error": {"Code": "ModelError", "Message": "Received server error (500) from primary"},
            "OriginalStatusCode": 500,
        },
        "InvokeEndpoint",
    )


def denied(request: dict[str, Any]) -> tuple[str, bytes]:
    raise ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform sagemaker:InvokeEndpoint"}},
        "InvokeEndpoint",
    )


def write_cases(tmp_path: Path, cases: Any, payloads: dict[str, str] | None = None) -> Path:
    for name, text in (payloads or {"p.csv": "1,2\n"}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    return tmp_path


BASE = {"name": "c", "payload": "p.csv", "content_type": "text/csv"}
