"""The issue's fault scenarios, each against the sandbox (numbers follow issue 5).

Faults the sandbox models are injected as in AWS: `SANDBOX_FAULT` / `SANDBOX_PROVISION_SECONDS` on the model
package's container, alarms put into ALARM with SetAlarmState while a bake runs. Faults it cannot produce
(throttling, 5xx, identity-policy denials, a crash) are injected with botocore event hooks on the very client
the deployer uses, never by patching code.
"""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from deployer.cli import main
from deployer.errors import LockHeldError, RolloutError
from deployer.ledger import Ledger
from deployer.promotion import open_stage_run
from deployer.sessions import AccountSessions
from tests.conftest import REGION
from tests.deployer.conftest import DEV, TOOLING, Body, Slot, World, admin_client, cli, deploy_role, history, marks


def run_main(world: World, sessions: AccountSessions | None, *args: str) -> int:
    factory = (lambda _stage, _region: sessions) if sessions is not None else None
    return main(["--config-dir", str(world.config_dir), *args], sessions_factory=factory)


def answer(status: int, body: dict[str, Any], request_id: str = "injected") -> Callable[..., AWSResponse]:
    """A before-send hook that answers every request it sees with `status` and a JSON body."""

    def hook(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, status, {"x-amzn-requestid": request_id}, Body(json.dumps(body).encode()))

    return hook


def registry_role(stage: str = "dev") -> str:
    return f"arn:aws:iam::{TOOLING}:role/churn-deployer-{stage}"


def trip_when_baking(slot: Slot, sessions: AccountSessions, alarm: str) -> threading.Event:
    """Put `alarm` into ALARM as soon as the deployer sees the new fleet of an update baking (an event on the
    deployer's own SageMaker client, no watcher polling on the side); the returned event is set then."""
    tripped = threading.Event()

    def on_describe(parsed: dict[str, Any], **_: Any) -> None:
        pending = parsed.get("PendingDeploymentSummary") or {}
        phases = [s.get("Status") for v in pending.get("ProductionVariants", []) for s in v.get("VariantStatus", [])]
        if "Baking" in phases and not tripped.is_set():
            slot.cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx during the canary bake")
            tripped.set()

    target_sm = sessions.client("sagemaker", deploy_role(slot.stage), REGION)
    target_sm.meta.events.register("after-call.sagemaker.DescribeEndpoint", on_describe)
    return tripped


def outlives_first_lease(sessions: AccountSessions, ledger: Ledger, endpoint: str) -> threading.Event:
    """Set once the run using `sessions` makes a ledger call after its first lease ran out while it still holds
    the lock under a later expiry (so renewal kept it): observed on that run's own ledger client."""
    first: list[int] = []
    outlived = threading.Event()

    def on_ledger_call(**_: Any) -> None:
        lease = ledger.lock_holder(endpoint)
        if lease is None:
            return
        first.append(lease.expires_at)
        if time.time() > first[0] and lease.expires_at > first[0]:
            outlived.set()

    ledger_client = sessions.client("dynamodb", registry_role("dev"), REGION)
    ledger_client.meta.events.register("after-call.dynamodb", on_ledger_call)
    return outlived


def ship(world: World, stage: str) -> None:
    for verb in ("deploy", "test", "promote"):
        assert cli(world, verb, "--stage", stage) == 0, verb


def last_deployment(world: World, stage: str) -> dict[str, Any]:
    return [e for e in history(world, stage) if e["event"] in ("deployment", "rollback")][-1]


# -- 1 -----------------------------------------------------------------------------------------------------------------


def test_1_alarm_during_canary_bake_fails_the_stage_and_nothing_is_promoted(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = world.add_stage("staging")
    world.add_version()
    ship(world, "dev")
    assert [e["detail"]["model_version"] for e in staging.received()] == [1]
    v1_config = world.describe()["EndpointConfigName"]
    world.write_config(deployment={"wait_seconds": 300})  # 3 s bakes on the sandbox clock
    world.add_version()
    capsys.readouterr()

    sessions = world.dev.sessions()
    tripped = trip_when_baking(world.dev, sessions, world.alarms[0])
    assert run_main(world, sessions, "deploy", "--stage", "dev") == 4
    assert tripped.is_set()

    err = capsys.readouterr().err
    assert "error: rolled back by SageMaker: " in err and world.alarms[0] in err
    assert world.describe()["EndpointConfigName"] == v1_config
    entry = last_deployment(world, "dev")
    assert (entry["result"], entry["version"]) == ("rolled_back", "2")
    assert world.alarms[0] in entry["reason"]
    # the pipeline stops here; run by hand, test sees v1 and promote refuses
    assert cli(world, "test", "--stage", "dev") == 0
    capsys.readouterr()
    assert cli(world, "promote", "--stage", "dev") == 4
    assert "not promoting: the last deployment of dev (v2) ended rolled_back at " in capsys.readouterr().err
    assert marks(world, "dev", "verified") == [1]
    assert staging.received() == []


# -- 2 -----------------------------------------------------------------------------------------------------------------


def test_2_model_that_never_gets_healthy_fails_and_the_old_config_stays(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    v1_config = world.describe()["EndpointConfigName"]
    world.add_version(fault="fail-create")
    capsys.readouterr()

    assert cli(world, "deploy", "--stage", "dev") == 4

    assert "did not pass the ping health check" in capsys.readouterr().err
    desc = world.describe()
    assert (desc["EndpointStatus"], desc["EndpointConfigName"]) == ("InService", v1_config)
    assert last_deployment(world, "dev")["result"] == "rolled_back"
    assert cli(world, "test", "--stage", "dev") == 0  # v1 still serves


# -- 3 and 5 -----------------------------------------------------------------------------------------------------------


def test_3_update_past_sagemakers_execution_timeout_is_rolled_back_not_success(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    v1_config = world.describe()["EndpointConfigName"]
    # provision 100 s + two 290 s bakes > MaximumExecutionTimeoutInSeconds 600: SageMaker gives up at 600 s
    world.write_config(deployment={"wait_seconds": 290, "max_execution_timeout_seconds": 600})
    world.add_version(environment={"SANDBOX_PROVISION_SECONDS": "100"})
    capsys.readouterr()

    assert cli(world, "deploy", "--stage", "dev") == 4

    assert "error: rolled back by SageMaker: " in capsys.readouterr().err
    assert world.describe()["EndpointConfigName"] == v1_config
    assert [e["result"] for e in history(world, "dev") if e["event"] == "deployment"][-2:] == ["started", "rolled_back"]


def test_3_5_own_timeout_never_reports_success_and_a_rerun_after_a_crash_converges(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    world.write_config(deployment={"wait_seconds": 200})  # an update of about 4 s
    world.add_version()
    capsys.readouterr()

    assert cli(world, "deploy", "--stage", "dev", "--timeout", "0.5") == 4
    err = capsys.readouterr().err
    assert f"error: endpoint {world.endpoint} still Updating after " in err
    assert "it was not reported as deployed" in err
    assert last_deployment(world, "dev")["result"] == "failed"
    assert world.describe()["EndpointStatus"] == "Updating"
    resources = world.ours()

    # the run "crashed" holding the lease, which has run out since: a re-run takes it over (recorded) and,
    # finding the endpoint updating to its own config, waits for that update instead of starting another
    crashed = world.ledger(build_id="churn-dev:crashed", clock=lambda: time.time() - 120)
    crashed.acquire_lock(world.endpoint, "churn-dev:crashed#1", 60, stage="dev")
    code = run_main(world, None, "--output", "json", "deploy", "--stage", "dev")
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (result["action"], result["outcome"], result["created"]) == ("resume", "deployed", [])
    assert world.describe()["EndpointConfigName"] == result["config_name"]
    assert world.ours() == resources  # nothing new, nothing twice
    takeover = [e for e in history(world, "dev") if e["event"] == "lock_takeover"]
    assert len(takeover) == 1 and "churn-dev:crashed#1" in takeover[0]["reason"]
    assert last_deployment(world, "dev")["result"] == "succeeded"


def test_5_crash_between_config_and_update_reruns_without_duplicates(world: World) -> None:
    world.add_version()
    world.dev.run().deploy()
    world.add_version()
    sessions = world.dev.sessions()
    target_sm = sessions.client("sagemaker", deploy_role("dev"), REGION)

    def crash(**_: Any) -> None:
        raise RuntimeError("simulated crash: the build container died")

    target_sm.meta.events.register("before-call.sagemaker.UpdateEndpoint", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        world.dev.run(sessions).deploy()
    half = world.ours()
    assert len(half["configs"]) == 2 and len(half["models"]) == 2  # v2's model and config exist, unused
    assert world.describe()["EndpointConfigName"].split("-v")[-1].startswith("1-")

    result = world.dev.run().deploy()

    assert (result.plan.action, result.created) == ("update", [])
    assert world.describe()["EndpointConfigName"] == result.plan.config_name
    assert world.ours()["configs"] == half["configs"] and world.ours()["models"] == half["models"]
    results = [e["result"] for e in history(world, "dev") if e["event"] == "deployment"]
    assert results == ["started", "succeeded", "started", "started", "succeeded"]


# -- 4 -----------------------------------------------------------------------------------------------------------------


def test_4_two_deploys_at_once_the_second_fails_on_the_lock_or_waits(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    world.dev.run().deploy()
    world.write_config(deployment={"wait_seconds": 250})  # an update of about 5 s
    v2, _ = world.add_version()
    sessions = world.dev.sessions()
    first = world.dev.run(sessions, lock_ttl=3, build_id="churn-dev:build-A")
    ledger = world.ledger()
    outlived = outlives_first_lease(sessions, ledger, world.endpoint)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("result", first.deploy()))
    thread.start()
    assert outlived.wait(timeout=30)  # past the first 3 s lease: only renewal keeps it held

    assert cli(world, "deploy", "--stage", "dev") == 6
    err = capsys.readouterr().err
    assert f"error: endpoint {world.endpoint} is locked by churn-dev:build-A#" in err
    assert "(build churn-dev:build-A) until " in err and "another rollout is running" in err
    with pytest.raises(LockHeldError):
        world.dev.run().deploy()

    assert cli(world, "deploy", "--stage", "dev", "--lock-wait", "60") == 0  # waits, then finds v2 live
    thread.join()
    assert outcome["result"].plan.candidate_version == v2
    assert f"already live: v{v2}" in capsys.readouterr().out
    assert ledger.lock_holder(world.endpoint) is None
    assert [e["event"] for e in history(world, "dev")].count("lock_takeover") == 0


# -- 6 -----------------------------------------------------------------------------------------------------------------


def test_6_throttling_and_5xx_on_describe_are_retried(world: World) -> None:
    world.add_version()
    sessions = world.dev.sessions()
    seen: list[str] = []

    def flaky(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        seen.append(request.url)
        if len(seen) in (2, 5):
            return answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})(request)
        if len(seen) == 3:
            return answer(503, {"__type": "ServiceUnavailable", "message": "try again"})(request)
        return None

    sessions.client("sagemaker", deploy_role("dev"), REGION).meta.events.register(
        "before-send.sagemaker.DescribeEndpoint", flaky
    )
    ledger_calls: list[str] = []

    def throttled_ledger(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        ledger_calls.append(request.url)
        if len(ledger_calls) == 1:
            return answer(400, {"__type": "ProvisionedThroughputExceededException", "message": "slow down"})(request)
        return None

    sessions.client("dynamodb", registry_role(), REGION).meta.events.register(
        "before-send.dynamodb.TransactWriteItems", throttled_ledger
    )

    result = open_stage_run(world.dev.config(), sessions).deploy()

    assert result.outcome == "deployed" and world.describe()["EndpointStatus"] == "InService"
    assert len(seen) > 5 and len(ledger_calls) >= 3
    assert [e["result"] for e in history(world, "dev") if e["event"] == "deployment"] == ["started", "succeeded"]


# -- 7 and 11 ----------------------------------------------------------------------------------------------------------


def test_7_newest_rejected_is_a_noop_and_a_rejected_live_without_fallback_is_exit_3(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    v1, arn1 = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    world.add_version(status="Rejected")
    before = world.describe()["LastModifiedTime"]
    capsys.readouterr()

    assert cli(world, "deploy", "--stage", "dev") == 0
    assert f"already live: v{v1}" in capsys.readouterr().out
    assert cli(world, "plan", "--stage", "dev") == 0
    assert "passed over: v2 is Rejected" in capsys.readouterr().out

    world.set_status(arn1, "Rejected")
    assert cli(world, "deploy", "--stage", "dev") == 3
    err = capsys.readouterr().err
    assert "nothing to deploy: no Approved version in model package group" in err
    assert "(v2 is Rejected; v1 is Rejected)" in err
    assert (
        f"live v{v1} is Rejected but there is no good version to roll back to, so {world.endpoint} keeps serving" in err
    )
    assert world.describe()["LastModifiedTime"] == before


def test_11_a_run_for_an_older_version_than_live_refuses_to_downgrade(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    _, arn2 = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    world.set_status(arn2, "PendingManualApproval")  # withdrawn, not Rejected
    before = world.ours()
    capsys.readouterr()

    assert cli(world, "deploy", "--stage", "dev") == 3

    err = capsys.readouterr().err
    assert "candidate v1 is older than live v2, which is PendingManualApproval in the registry, not Rejected" in err
    assert "never downgrade" in err
    assert world.ours() == before
    assert world.describe()["EndpointConfigName"].split("-v")[-1].startswith("2-")


# -- 8 -----------------------------------------------------------------------------------------------------------------

NOTHING: dict[str, list[str]] = {"models": [], "configs": [], "endpoints": []}


def test_8_ledger_access_denied_fails_before_any_change(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    sessions = world.dev.sessions()
    sessions.client("dynamodb", registry_role(), REGION).meta.events.register(
        "before-send.dynamodb.PutItem",
        answer(400, {"__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException", "message": "no"}),
    )

    assert run_main(world, sessions, "deploy", "--stage", "dev") == 5

    err = capsys.readouterr().err
    assert f"error: access denied: dynamodb:PutItem on ledger table {world.ledger_table} in account {TOOLING}" in err
    assert f"as {registry_role()}" in err
    assert world.ours() == NOTHING


def test_8_missing_ledger_table_is_bad_input(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    world.write_config(ledger={"table_name": f"{world.name}-nope"})
    assert cli(world, "deploy", "--stage", "dev") == 2
    assert f"ledger table {world.name}-nope not found" in capsys.readouterr().err
    assert world.ours() == NOTHING


def test_8_kms_and_s3_denied_or_unusable_fail_before_any_change(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    kms = admin_client(world.sandbox, "kms", "dev")
    metadata = kms.create_key(Description="endpoint volumes")["KeyMetadata"]
    key = metadata["Arn"]
    world.write_config(endpoint={"kms_key_arn": key})

    sessions = world.dev.sessions()
    sessions.client("kms", deploy_role("dev"), REGION).meta.events.register(
        "before-send.kms.DescribeKey", answer(400, {"__type": "AccessDeniedException", "message": "key policy"})
    )
    assert run_main(world, sessions, "deploy", "--stage", "dev") == 5
    err = capsys.readouterr().err
    assert f"access denied: kms:DescribeKey on {key} in account {DEV} as {deploy_role('dev')}" in err

    kms.disable_key(KeyId=metadata["KeyId"])  # moto's DisableKey does not resolve an ARN
    assert cli(world, "deploy", "--stage", "dev") == 2
    assert f"endpoint.kms_key_arn: KMS key {key} is Disabled (allowed: an Enabled key)" in capsys.readouterr().err
    kms.enable_key(KeyId=metadata["KeyId"])

    sessions = world.dev.sessions()
    sessions.client("s3", deploy_role("dev"), REGION).meta.events.register("before-send.s3.HeadObject", answer(403, {}))
    assert run_main(world, sessions, "deploy", "--stage", "dev") == 5
    assert f"access denied: s3:GetObject on s3://{world.bucket}/model/model.tar.gz in account {DEV}" in (
        capsys.readouterr().err
    )
    assert world.ours() == NOTHING
    assert cli(world, "deploy", "--stage", "dev") == 0  # with nothing injected, the same config deploys


# -- 9 -----------------------------------------------------------------------------------------------------------------


def test_9_prod_without_staging_verification_is_untouched(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """The pipeline's manual approval is the lead's end-to-end test; here: prod deploys only what staging
    verified, so a rejected approval (staging's promotion never acted on) leaves prod as it is."""
    world.add_stage("staging")
    prod = world.add_stage("prod")
    world.add_version()
    ship(world, "dev")
    capsys.readouterr()
    assert cli(world, "deploy", "--stage", "prod") == 3
    assert "v1 is Approved but not verified in staging" in capsys.readouterr().err
    assert prod.ours() == NOTHING


# -- 10 ----------------------------------------------------------------------------------------------------------------


def test_10_alarms_in_insufficient_data_do_not_block_and_are_reported(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    for alarm in world.alarms:
        world.dev_cw.set_alarm_state(AlarmName=alarm, StateValue="INSUFFICIENT_DATA", StateReason="no traffic yet")
    v2, _ = world.add_version()
    capsys.readouterr()

    assert cli(world, "deploy", "--stage", "dev") == 0

    captured = capsys.readouterr()
    assert f"v{v2} is live on {world.endpoint}" in captured.out
    expected = f"rollback alarm(s) {', '.join(world.alarms)} in INSUFFICIENT_DATA: they cannot roll this update back"
    assert f"warning: {expected}" in captured.out and f"WARNING {expected}" in captured.err
    alarms = world.describe()["LastDeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert [a["AlarmName"] for a in alarms] == world.alarms  # still guarded once the alarms get data


def test_10_rollback_goes_ahead_without_alarms_that_fire_on_the_rejected_version(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    _, arn2 = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    world.dev_cw.set_alarm_state(AlarmName=world.alarms[0], StateValue="ALARM", StateReason="v2 answers 5xx")
    world.set_status(arn2, "Rejected")
    capsys.readouterr()

    assert cli(world, "deploy", "--stage", "dev") == 0

    out = capsys.readouterr().out
    assert "rolled dev back from v2 to v1: live v2 was Rejected" in out
    assert "this rollback runs without AutoRollbackConfiguration" in out
    assert "AutoRollbackConfiguration" not in world.describe()["LastDeploymentConfig"]


# -- 12 ----------------------------------------------------------------------------------------------------------------


def test_12_failing_smoke_tests_record_no_verification_and_send_no_event(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = world.add_stage("staging")
    world.add_version(fault="model-error")
    assert cli(world, "deploy", "--stage", "dev") == 0
    junit = world.root / "reports" / "smoke.xml"
    capsys.readouterr()

    assert cli(world, "test", "--stage", "dev", "--junit-xml", str(junit)) == 4

    captured = capsys.readouterr()
    assert "FAIL csv-batch: ModelError (model answered 500): " in captured.out
    assert "smoke tests FAILED: 0 of 2 case(s) passed on v1" in captured.out
    assert "error: smoke tests failed on " in captured.err and "csv-batch, json-instance" in captured.err
    assert ET.parse(junit).getroot().get("failures") == "2"
    (entry,) = [e for e in history(world, "dev") if e["event"] == "smoke_test"]
    assert entry["result"] == "failed"

    assert cli(world, "promote", "--stage", "dev") == 4
    assert "not promoting: the smoke tests of v1 failed at " in capsys.readouterr().err
    assert marks(world, "dev", "verified") == [] and marks(world, "dev", "promoted") == []
    assert staging.received() == []


# -- 13 ----------------------------------------------------------------------------------------------------------------


def test_13_ledger_write_failing_after_the_rollout_is_reported_and_repaired_by_a_rerun(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    v2, arn2 = world.add_version()
    sessions = world.dev.sessions()
    writes: list[str] = []

    def fail_after_rollout(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        writes.append(request.url)
        if len(writes) == 2:  # the first write is "started"; the second records the outcome
            return answer(400, {"__type": "AccessDeniedException", "message": "explicit deny"})(request)
        return None

    sessions.client("dynamodb", registry_role(), REGION).meta.events.register(
        "before-send.dynamodb.TransactWriteItems", fail_after_rollout
    )
    capsys.readouterr()

    assert run_main(world, sessions, "deploy", "--stage", "dev") == 5

    err = capsys.readouterr().err
    assert f"error: v{v2} is live on {world.endpoint}" in err
    assert "but recording it failed: access denied: dynamodb:TransactWriteItems on ledger table" in err
    assert f"Re-run `deployer deploy --stage dev`: it finds v{v2} live, changes nothing and repairs the record" in err
    config, modified = world.describe()["EndpointConfigName"], world.describe()["LastModifiedTime"]
    # v2's outcome is missing: the last entries are v1's success and v2's start
    assert [(e["result"], e["version"]) for e in history(world, "dev") if e["event"] == "deployment"][-2:] == [
        ("succeeded", "1"),
        ("started", str(v2)),
    ]
    assert "deployer:live:dev" not in world.metadata(arn2)

    assert cli(world, "deploy", "--stage", "dev") == 0

    assert f"already live: v{v2}" in capsys.readouterr().out
    assert (world.describe()["EndpointConfigName"], world.describe()["LastModifiedTime"]) == (config, modified)
    repaired = last_deployment(world, "dev")
    assert (repaired["result"], repaired["version"], repaired["endpoint_config"]) == ("no-op", str(v2), config)
    assert "recorded now because the ledger's last outcome was v1 succeeded" in repaired["reason"]
    assert world.metadata(arn2)["deployer:live:dev"] == "true"
    assert cli(world, "test", "--stage", "dev") == 0 and cli(world, "promote", "--stage", "dev") == 0


def test_lock_lost_mid_rollout_stops_and_is_recorded(world: World) -> None:
    world.add_version()
    world.dev.run().deploy()
    world.write_config(deployment={"wait_seconds": 100})
    world.add_version()
    run = world.dev.run(lock_ttl=3)
    ledger = world.ledger()

    def steal(**_: Any) -> None:
        holder = ledger.lock_holder(world.endpoint)
        if holder is not None and holder.owner != "thief":
            # a runner whose clock is ahead sees the lease expired and takes it over
            thief = world.ledger(build_id="thief", clock=lambda: time.time() + 3600)
            thief.acquire_lock(world.endpoint, "thief", 60, stage="dev")

    run.sessions.client("sagemaker", deploy_role("dev"), REGION).meta.events.register(
        "after-call.sagemaker.UpdateEndpoint", steal
    )
    with pytest.raises(RolloutError, match=r"lost the lock on endpoint .* it is now held by thief"):
        run.deploy()
    assert last_deployment(world, "dev")["result"] == "failed"
