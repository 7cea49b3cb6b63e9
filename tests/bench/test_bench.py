"""Fast checks of the bench's own logic (no sandbox): the polling split and the Markdown report.

The full benchmark runs through `make bench` (`QUICK=1` in CI)."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from bench import onboarding, report
from bench.common import BenchError
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


# ----------------------------------------------------------------------------- figure 8: onboarding models

PLATFORM = """platform = "ml"
stages = [
  { name = "dev", account_id = "222222222222" },
]

models = {
  churn = {
    description = "Customer churn classifier"
    stages = { # per-stage overrides
      prod = { endpoint = { instance_type = "ml.m5.xlarge" } }
    }
  }
}

tags = { team = "ml-platform" }
"""


def test_platform_with_models_adds_entries_and_keeps_the_shipped_ones() -> None:
    text = onboarding.platform_with_models(PLATFORM, [onboarding.model_name(2), onboarding.model_name(3)])
    assert text.startswith(PLATFORM[: PLATFORM.index("}\n}\n") + 2])  # churn's entry untouched
    assert '  m02 = {}\n  m03 = {}\n}\n\ntags = { team = "ml-platform" }\n' in text
    assert onboarding.platform_with_models(PLATFORM, []) == PLATFORM


def test_platform_with_models_refuses_a_file_without_models() -> None:
    with pytest.raises(BenchError, match=re.escape("no `models = {` block")):
        onboarding.platform_with_models('platform = "ml"\n', ["m02"])


def test_applied_reads_the_last_apply_complete_line() -> None:
    out = 'module.model["m02"].aws_iam_role.x: Creating...\n'
    out += "Apply complete! Resources: 46 added, 1 changed, 0 destroyed.\n"
    assert onboarding.applied(out) == {"added": 46, "changed": 1, "destroyed": 0}
    with pytest.raises(BenchError, match="no `Apply complete!` line"):
        onboarding.applied("Error: something\n")


def test_count_by_model_splits_model_and_shared_addresses_without_data_sources() -> None:
    addresses = [
        'module.model["churn"].aws_iam_role.deployer["dev"]',
        'module.model["churn"].module.pipeline.aws_codepipeline.this',
        'module.model["churn"].data.aws_iam_policy_document.x',
        'module.model["m02"].aws_iam_role.deployer["dev"]',
        "module.registry.aws_kms_key.this",
        "module.catalog.terraform_data.check",
        "data.aws_caller_identity.current",
    ]
    assert onboarding.count_by_model(addresses) == ({"churn": 2, "m02": 1}, 2)


def _step(number: int, tooling: float, stage: float, changed: int = 0) -> dict[str, Any]:
    return {
        "model_number": number,
        "model": onboarding.model_name(number),
        "tooling_seconds": tooling,
        "stage_seconds": stage,
        "seconds": tooling + stage,
        "tooling_applied": {"added": 13, "changed": changed, "destroyed": 0},
        "stage_applied": {"added": 46, "changed": 0, "destroyed": 0},
    }


def test_summarize_medians_and_growth_from_the_second_model_to_the_last() -> None:
    summary = onboarding.summarize([_step(2, 10, 60), _step(3, 12, 70), _step(4, 20, 120)])
    assert summary["median_seconds_per_added_model"] == 82.0
    assert (summary["median_tooling_seconds"], summary["median_stage_seconds"]) == (12.0, 70.0)
    assert summary["first_added"] == {"model_number": 2, "seconds": 70}
    assert summary["last_added"] == {"model_number": 4, "seconds": 140}
    assert summary["growth_last_over_first"] == 2.0
    assert summary["only_additions"] is True
    assert onboarding.summarize([_step(2, 10, 60, changed=1)])["only_additions"] is False
    assert onboarding.summarize([]) == {}


def _meta() -> dict[str, Any]:
    return {
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
    }


def test_report_renders_onboarding_and_the_status_cli_against_its_goal() -> None:
    steps = [_step(2, 10, 60), _step(3, 12, 70)]
    resources = {
        "tooling": {
            "root": "envs/tooling",
            "models_in_state": 3,
            "per_model_median": 13,
            "per_model_min_max": [13, 13],
            "shared": 20,
            "total": 59,
        },
        "stage": {
            "root": "envs/stage (dev.tfvars)",
            "models_in_state": 3,
            "per_model_median": 46,
            "per_model_min_max": [46, 46],
            "shared": 3,
            "total": 141,
        },
    }
    onb = {"status": "ok", "models": 3, "stage": "dev", "setup_note": "applied by the Terraform figure", "steps": steps}
    onb.update(onboarding.summarize(steps), resources=resources)
    row = {"median_seconds": 1.5, "speedup_vs_sequential": 1.0, "speedup_vs_cli": 1.0, "ms_per_endpoint": 50.0}
    status = {
        "status": "ok",
        "models": 10,
        "stages": ["dev", "staging", "prod"],
        "ledger_items": 420,
        "accounts": 3,
        "endpoints_per_account": 10,
        "endpoints": 30,
        "setup_seconds": 9.0,
        "cli_repeats": 1,
        "rows": [
            {**row, "key": "cli", "variant": "cli", "workers": "as shipped", "median_seconds": 3.0},
            {**row, "key": "sequential", "variant": "seq", "workers": 1},
            {**row, "key": "concurrent-8", "variant": "pool", "workers": 8},
        ],
    }
    text = report.render({"meta": _meta(), "figures": {"onboarding": onb, "status_scale": status}, "checks": []})
    assert "| 8 | onboarding: apply per added model, models 2 to 3 (tooling + dev) | 76.00 s |" in text
    assert "model 3 / model 2: 1.17x" in text
    assert "| 8 | resources per model, envs/stage (dev.tfvars) | 46 | shared 3 | 3 models, 141 in all |" in text
    assert "| 3 | m03 | 12 | 13/0/0 | 70 | 46/0/0 | 82 |" in text
    assert "| 4 | status, 10 models x 3 stages, 8 threads |" in text
    assert (
        "| 4 | `python -m deployer status --output json`, 10 models x 3 stages, 420 ledger items | 3.00 s | "
        "goal 2.00 s | 1.50x the goal |"
    ) in text
    assert "10 models, each in dev, staging, prod, with 420 items of ledger history in one table" in text


def test_process_cpu_seconds_reads_a_live_process_and_not_a_gone_one() -> None:
    from bench.status_scale import process_cpu_seconds

    own = process_cpu_seconds(os.getpid())
    assert own is None or own > 0  # None only where /proc is missing
    assert process_cpu_seconds(2**22 + 12345) is None
