"""Chaos mode (`sandbox.ext.chaos`): throttling, 5xx and latency in each protocol's AWS shape, seeded, switched at
runtime, never on the sandbox's own plumbing, and answered before the operation runs."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.ext._chaos_spec import ChaosSpecError, parse_text
from sandbox.harness import free_port, running
from tests.conftest import Sandbox

ONE_TRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
THREE_TRIES = Config(retries={"total_max_attempts": 3, "mode": "standard"})


@pytest.fixture
def chaos(sandbox: Sandbox) -> Iterator[Callable[..., dict[str, Any]]]:
    """Switch chaos on for one test (with a world set up first); always off again afterwards."""
    try:
        yield lambda **spec: sandbox.chaos(spec)
    finally:
        sandbox.chaos(None)


def _client(sandbox: Sandbox, service: str, config: Config = ONE_TRY, account: str = "dev") -> Any:
    return sandbox.session(account).client(service, endpoint_url=sandbox.url, config=config)


def _error(call: Callable[[], Any]) -> tuple[int, str, int]:
    with pytest.raises(ClientError) as exc:
        call()
    meta = exc.value.response["ResponseMetadata"]
    return meta["HTTPStatusCode"], exc.value.response["Error"]["Code"], meta.get("RetryAttempts", 0)


# (service, operation pattern, call, throttling answer): one per protocol the deployer speaks
PROTOCOLS: list[tuple[str, str, Callable[[Any], Any], tuple[int, str]]] = [
    ("sagemaker", "sagemaker:ListEndpoints", lambda c: c.list_endpoints(), (400, "ThrottlingException")),  # JSON 1.1
    (
        "dynamodb",
        "dynamodb:GetItem",
        lambda c: c.get_item(TableName="t", Key={"pk": {"S": "x"}}),
        (400, "ProvisionedThroughputExceededException"),
    ),  # JSON 1.0, item call
    ("dynamodb", "dynamodb:ListTables", lambda c: c.list_tables(), (400, "ThrottlingException")),
    ("sts", "sts:GetCallerIdentity", lambda c: c.get_caller_identity(), (400, "Throttling")),  # query/XML
    ("cloudwatch", "cloudwatch:DescribeAlarms", lambda c: c.describe_alarms(), (400, "Throttling")),  # CBOR
    (
        "sagemaker-runtime",
        "sagemaker:InvokeEndpoint",
        lambda c: c.invoke_endpoint(EndpointName="e", Body=b"1"),
        (400, "ThrottlingException"),
    ),  # REST-JSON
    ("s3", "s3:ListBuckets", lambda c: c.list_buckets(), (503, "SlowDown")),  # REST-XML
]


@pytest.mark.parametrize(("service", "operation", "call", "expected"), PROTOCOLS, ids=[p[1] for p in PROTOCOLS])
def test_throttling_looks_as_aws_sends_it_and_botocore_retries_it(
    sandbox: Sandbox, chaos: Callable[..., Any], service: str, operation: str, call: Any, expected: tuple[int, str]
) -> None:
    client = _client(sandbox, service, THREE_TRIES)
    chaos(rate=1.0, faults=["throttle"], operations=[operation])
    assert _error(lambda: call(client)) == (*expected, 2)  # botocore's standard mode retried it twice
    assert sandbox.chaos_state()["injected"] == {f"{operation} throttle": 3}


@pytest.mark.parametrize(("service", "operation", "call", "expected"), PROTOCOLS, ids=[p[1] for p in PROTOCOLS])
def test_server_errors_are_5xx_that_botocore_retries(
    sandbox: Sandbox, chaos: Callable[..., Any], service: str, operation: str, call: Any, expected: Any
) -> None:
    client = _client(sandbox, service, THREE_TRIES)
    chaos(rate=1.0, faults=["5xx"], operations=[operation], seed=3)
    status, code, retries = _error(lambda: call(client))
    assert (status, code) in {
        (500, "InternalFailure"), (500, "InternalServerError"), (500, "InternalError"), (503, "ServiceUnavailable")
    }  # fmt: skip
    assert retries == 2


def test_an_injected_fault_runs_nothing_so_a_retried_create_succeeds(
    sandbox: Sandbox, chaos: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    sm = _client(sandbox, "sagemaker")
    group = unique("chaos-grp")
    chaos(rate=1.0, faults=["5xx"], operations=["sagemaker:CreateModelPackageGroup"])
    assert _error(lambda: sm.create_model_package_group(ModelPackageGroupName=group))[0] in (500, 503)
    chaos(rate=0.0)  # still on, disturbing nothing
    with pytest.raises(ClientError, match=r"does not exist|ValidationException"):
        sm.describe_model_package_group(ModelPackageGroupName=group)
    assert sm.create_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]


def test_the_same_seed_replays_the_same_faults_and_other_operations_do_not_shift_them(
    sandbox: Sandbox, chaos: Callable[..., Any]
) -> None:
    sts = _client(sandbox, "sts")
    sm = _client(sandbox, "sagemaker")

    def outcomes(interleave: bool) -> list[str]:
        chaos(rate=0.5, seed=11, faults=["throttle", "5xx"], operations=["sts:GetCallerIdentity", "sagemaker:*"])
        seen = []
        for i in range(16):
            if interleave and i % 3 == 0:
                with contextlib.suppress(ClientError):
                    sm.list_endpoints()
            try:
                sts.get_caller_identity()
                seen.append("ok")
            except ClientError as exc:
                seen.append(exc.response["Error"]["Code"])
        return seen

    first = outcomes(interleave=False)
    assert "ok" in first and len(set(first)) >= 2  # some through, some not
    assert outcomes(interleave=True) == first


def test_latency_delays_the_call_then_runs_it(sandbox: Sandbox, chaos: Callable[..., Any]) -> None:
    sts = _client(sandbox, "sts")
    chaos(rate=1.0, faults=["latency"], latency_ms=300, operations=["sts:GetCallerIdentity"])
    started = time.monotonic()
    assert sts.get_caller_identity()["Account"]
    assert time.monotonic() - started >= 0.3  # measured, not slept: the sandbox held the answer back


def test_the_sandboxs_own_plumbing_is_never_disturbed(sandbox: Sandbox, chaos: Callable[..., Any]) -> None:
    state = chaos(rate=1.0, faults=["throttle", "5xx"])  # every operation
    assert state["spec"]["operations"] == ["*"]
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/iam/report", timeout=30) as answer:
        assert answer.status == 200
    assert sandbox.chaos_state()["injected"] == {}
    assert _error(lambda: _client(sandbox, "sts", account="tooling").get_caller_identity())[1] in (
        "Throttling", "InternalFailure", "ServiceUnavailable"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"seed": 1}', "rate: missing"),
        ('{"rate": 1.5}', "rate: 1.5 is not a number from 0 to 1"),
        ('{"rate": 0.1, "faults": ["boom"]}', "faults: boom not known (allowed: throttle, 5xx, latency)"),
        ('{"rate": 0.1, "operations": []}', "operations: [] is not a non-empty list of strings"),
        ('{"rate": 0.1, "speed": 2}', "unknown key(s) speed"),
        ("[1]", "expected a JSON object"),
        ("{", "not JSON"),
    ],
)
def test_a_bad_spec_names_the_field(text: str, message: str) -> None:
    with pytest.raises(ChaosSpecError, match=r"^SANDBOX_CHAOS: ") as exc:
        parse_text(text)
    assert message in str(exc.value)


def test_a_bad_spec_at_runtime_is_refused_and_changes_nothing(sandbox: Sandbox) -> None:
    request = urllib.request.Request(f"{sandbox.url}/_sandbox/chaos", data=b'{"rate": 2}', method="PUT")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=30)
    assert exc.value.code == 400
    assert "rate: 2 is not a number from 0 to 1" in json.loads(exc.value.read())["error"]
    assert sandbox.chaos_state()["spec"] is None


def test_a_bad_spec_at_start_is_refused_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    from sandbox.cli import main

    assert main(["serve", "--port", str(free_port()), "--chaos", '{"rate": 0.1, "faults": ["fire"]}']) == 2
    assert "sandbox: --chaos: faults: fire not known (allowed: throttle, 5xx, latency)" in capsys.readouterr().err


def test_a_spec_in_the_environment_is_live_from_the_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SANDBOX_CHAOS", '{"rate": 1, "faults": ["throttle"], "operations": ["sts:GetCallerIdentity"]}')
    with running(tmp_path) as box:
        assert box.chaos_state()["spec"]["operations"] == ["sts:GetCallerIdentity"]
        assert _error(lambda: _client(box, "sts", account="tooling").get_caller_identity())[:2] == (400, "Throttling")
