"""Running the cases against a live endpoint through `sagemaker-runtime` InvokeEndpoint."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from deployer.aws_errors import is_access_denied
from deployer.smoke.cases import SmokeCase
from deployer.smoke.checks.latency import p95
from deployer.smoke.errors import CaseFailure, SmokeAccessDenied
from deployer.smoke.expectations import evaluate
from deployer.smoke.report import CaseResult, SmokeReport
from deployer.smoke.text import xml_safe

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class RuntimeClient(Protocol):
    """The subset of a boto3 `sagemaker-runtime` client the smoke tests use."""

    def invoke_endpoint(self, **kwargs: Any) -> Any: ...


@dataclass
class _Progress:
    """How far one case got; kept outside the attempt so a failure part-way still reports it."""

    response: dict[str, Any] = field(default_factory=dict)
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)


def _invoke(runtime: RuntimeClient, endpoint: str, case: SmokeCase, body: bytes) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "EndpointName": endpoint,
        "Body": body,
        "ContentType": case.content_type,
        "Accept": case.accept,
    }
    if case.target_variant:
        kwargs["TargetVariant"] = case.target_variant
    try:
        response: dict[str, Any] = runtime.invoke_endpoint(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        if is_access_denied(exc):
            raise SmokeAccessDenied(
                f"access denied: sagemaker:InvokeEndpoint on endpoint {endpoint}: {message}"
            ) from exc
        status = exc.response.get("OriginalStatusCode")
        raise CaseFailure(f"{code}{f' (model answered {status})' if status else ''}: {message}") from None
    except (BotoCoreError, TimeoutError) as exc:
        raise CaseFailure(f"InvokeEndpoint failed: {exc}") from None
    return response


def _timed(
    runtime: RuntimeClient, endpoint: str, case: SmokeCase, body: bytes, clock: Clock, progress: _Progress
) -> tuple[bytes, float]:
    """One invocation: the answer's body and the milliseconds until it was read."""
    sent = clock()
    progress.response = _invoke(runtime, endpoint, case, body)
    progress.sent += 1
    payload = progress.response.get("Body", b"")
    answer: bytes = payload.read() if hasattr(payload, "read") else payload
    return answer, (clock() - sent) * 1000.0


def _attempt(
    runtime: RuntimeClient, endpoint: str, case: SmokeCase, body: bytes, clock: Clock, progress: _Progress
) -> str:
    """Check the first answer, then time the requests the checks ask for; the passing reason, or CaseFailure.

    The first, correctness request is not part of the p95: it also pays for the client's one-time costs
    (credentials from STS, a new TLS connection), which say nothing about the model's latency.
    """
    answer, first_ms = _timed(runtime, endpoint, case, body, clock, progress)
    # Correctness first: a wrong answer fails without spending the latency requests.
    evaluate(answer, str(progress.response.get("ContentType") or case.accept), case.expect)
    for _ in range(case.expect.timed_requests):
        progress.latencies_ms.append(_timed(runtime, endpoint, case, body, clock, progress)[1])
    if not progress.latencies_ms:
        progress.latencies_ms.append(first_ms)
    for check in case.expect.checks:
        check.check_latencies(progress.latencies_ms)
    return f"ok ({len(progress.latencies_ms)} requests, p95 {p95(progress.latencies_ms):.1f} ms)"


def run_case(runtime: RuntimeClient, endpoint: str, case: SmokeCase, *, clock: Clock = time.perf_counter) -> CaseResult:
    """Invoke once and check the answer; when a check asks for it, time more invocations and judge those."""
    body = case.payload.read_bytes()
    started = clock()
    progress = _Progress()
    try:
        reason, passed = _attempt(runtime, endpoint, case, body, clock, progress), True
    except CaseFailure as failure:
        # The reason may quote the model; escaped, it cannot garble a log or fail to encode on print.
        reason, passed = xml_safe(str(failure)), False
    latencies = progress.latencies_ms
    result = CaseResult(
        name=case.name,
        passed=passed,
        reason=reason,
        seconds=clock() - started,
        requests=progress.sent,
        p95_ms=p95(latencies) if latencies else None,
        invoked_variant=str(progress.response.get("InvokedProductionVariant", "")),
        custom_attributes=str(progress.response.get("CustomAttributes", "")),
    )
    log.log(
        logging.INFO if passed else logging.ERROR, "smoke %s: %s: %s", "PASS" if passed else "FAIL", case.name, reason
    )
    return result


def run_smoke_tests(
    runtime: RuntimeClient,
    endpoint: str,
    cases: Sequence[SmokeCase],
    *,
    clock: Clock = time.perf_counter,
    wall_clock: Clock = time.time,
) -> SmokeReport:
    """Run every case (a failing case does not stop the others) and return the report."""
    started_at = datetime.fromtimestamp(wall_clock(), UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    results = [run_case(runtime, endpoint, case, clock=clock) for case in cases]
    report = SmokeReport(endpoint=endpoint, results=results, started_at=started_at)
    log.info("smoke tests on %s: %d of %d passed", endpoint, len(results) - len(report.failures), len(results))
    return report
