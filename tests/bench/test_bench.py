"""Fast checks of the bench's own logic (no sandbox): the polling split and the Markdown report.

The full benchmark runs through `make bench` (`QUICK=1` in CI)."""

from __future__ import annotations

from typing import Any

from bench import report
from bench.counting import Call, CallLog, classify


def _log(*calls: tuple[float, str, str, str]) -> CallLog:
    log = CallLog()
    for start, service, operation, status in calls:
        log.calls.append(Call(start, service, operation, end=start + 0.001, endpoint_status=status))
    return log


def test_classify_counts_polls_from_the_update_to_the_first_settled_answer() -> None:
    log = _log(
        (0.0, "sts", "AssumeRole", ""),
        (0.1, "sagemaker", "DescribeEndpoint", "InService"),  # the plan's read: not polling
        (0.2, "sagemaker", "CreateEndpointConfig", ""),
        (0.3, "sagemaker", "UpdateEndpoint", ""),
        (0.4, "sagemaker", "DescribeEndpoint", "Updating"),
        (0.6, "sagemaker", "DescribeEndpoint", "Updating"),
        (0.8, "sagemaker", "DescribeEndpoint", "InService"),
        (0.9, "sagemaker", "DescribeEndpoint", "InService"),  # after the wait: not polling
        (1.0, "application-auto-scaling", "RegisterScalableTarget", ""),
    )
    calls = classify(log)
    assert (calls.total, calls.polling, calls.other) == (9, 3, 6)
    assert (calls.mutating, calls.reads, calls.sts) == (3, 2, 1)
    assert [round(g, 3) for g in calls.poll_gaps_wall] == [0.2, 0.2]
    assert round(calls.wait_wall_seconds, 3) == 0.501
    assert calls.by_operation["sagemaker:DescribeEndpoint"] == 5


def test_classify_without_a_rollout_has_no_polling() -> None:
    calls = classify(_log((0.0, "sagemaker", "DescribeEndpoint", "InService")))
    assert (calls.polling, calls.other, calls.wait_wall_seconds) == (0, 1, 0.0)


def test_report_renders_skipped_and_failed_figures() -> None:
    results: dict[str, Any] = {
        "meta": {
            "mode": "quick",
            "started": "2025-01-01 00:00 UTC",
            "run_seconds": 1.0,
            "cpus": 2,
            "load_average_start": [0.1],
            "load_average_end": [0.2],
            "python": "3.11",
            "boto3": "1",
            "time_scale": 0.01,
            "deployer_poll_seconds": "0.15",
            "repeats": {},
        },
        "figures": {
            "cold_start": {"status": "failed", "error": "boom"},
            "local_run": {"status": "skipped in quick mode"},
        },
        "checks": [{"name": "cold_start ran", "ok": False, "detail": "boom"}],
    }
    text = report.render(results)
    assert "| 1 | cold start | failed: boom |" in text
    assert "skipped in quick mode" in text
    assert "cold_start ran: FAILED" in text
