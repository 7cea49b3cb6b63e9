"""Fault scenarios 42-43: the fencing window (issue 26, item 4).

The fence renews the lease before a mutating call; a run can still stall between the fence and the moment its
request reaches SageMaker. The stall is a botocore hook on the stale run's own client, the takeover a ledger
whose clock is past the lease, and the stale run's monotonic clock is injected: no sleeps.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from deployer.errors import LockHeldError
from deployer.promotion.drift import Drift, converge
from deployer.promotion.send_deadline import SendDeadline, SentCall
from deployer.rollout import Action, Plan
from tests.conftest import REGION
from tests.deployer.conftest import World, cli, cli_json, deploy_role, history
from tests.deployer.test_faults import answer
from tests.deployer.test_faults_fencing import once, take_over_and_ship


def deployments(world: World) -> list[dict[str, Any]]:
    return [e for e in history(world, "dev") if e["event"] in ("deployment", "rollback")]


def test_42_change_landing_after_a_takeover_is_recorded_shown_as_drift_and_converged(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    v2, _ = world.add_version()
    stale = world.dev.sessions(build_id="churn-dev:stale")
    sm = stale.client("sagemaker", deploy_role("dev"), REGION)
    # The stall no client check can see (a suspended VM's monotonic clock stops; a request held on the wire):
    # the fence and the deadline passed, then another run takes over and ships v3 before UpdateEndpoint lands.
    sm.meta.events.register("before-send.sagemaker.UpdateEndpoint", once(lambda: take_over_and_ship(world)))

    with pytest.raises(LockHeldError, match=r"lost the lock on endpoint"):
        world.dev.run(stale, build_id="churn-dev:stale").deploy()

    v3_config = next(e for e in reversed(deployments(world)) if e["result"] == "succeeded")["endpoint_config"]
    stale_config = world.describe()["EndpointConfigName"]
    assert f"-v{v2}-" in stale_config and f"-v{v2 + 1}-" in v3_config  # the stale change landed after v3
    # item 2: recorded as a possible change under the new holder, never as a success
    lost = [e for e in history(world, "dev") if e["event"] == "lease_lost_after_change"]
    assert len(lost) == 1 and lost[0]["result"] == "recorded"
    assert lost[0]["details"]["call"] == "sagemaker:UpdateEndpoint"
    assert lost[0]["details"]["endpoint_config"] == stale_config == lost[0]["endpoint_config"]
    assert lost[0]["build_id"] == "churn-dev:stale" and lost[0]["details"]["owner"].startswith("churn-dev:stale#")
    assert not any(e["version"] == str(v2) and e["result"] == "succeeded" for e in deployments(world))

    # item 3: status names both configs, in JSON and in text
    capsys.readouterr()
    code, out = cli_json(world, capsys, "status")
    drift = next(s for s in out["stages"] if s["stage"] == "dev")["drift"]
    assert code == 0 and (drift["endpoint_config"], drift["endpoint_version"]) == (stale_config, v2)
    assert (drift["ledger_config"], drift["ledger_version"]) == (v3_config, v2 + 1)
    assert cli(world, "status") == 0
    text = capsys.readouterr().out
    assert f"dev: drift: {world.endpoint} runs {stale_config} (v{v2}), but the ledger says {v3_config}" in text

    # item 4: the next deploy converges the endpoint to the ledger's live v3 and records the repair
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert world.describe()["EndpointConfigName"] == v3_config
    repaired = deployments(world)[-1]
    assert (repaired["result"], repaired["endpoint_config"]) == ("succeeded", v3_config)
    assert f"repairs drift: {world.endpoint} runs {stale_config}" in repaired["reason"]
    capsys.readouterr()
    _, after = cli_json(world, capsys, "status")
    assert next(s for s in after["stages"] if s["stage"] == "dev")["drift"] is None


def test_43_a_retry_after_the_lease_deadline_is_never_sent(world: World) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    v2, _ = world.add_version()
    stale = world.dev.sessions(build_id="churn-dev:stale")
    sm = stale.client("sagemaker", deploy_role("dev"), REGION)
    now = [1000.0]  # the stale run's monotonic clock
    attempts: list[str] = []

    def throttled_then_stalled(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        attempts.append(request.url)
        if len(attempts) == 1:  # botocore backs off and retries ...
            return answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})(request)
        now[0] += 3600  # ... and the backoff (a frozen container) outlasts the lease; another run takes over
        take_over_and_ship(world)
        return None

    sm.meta.events.register("before-send.sagemaker.UpdateEndpoint", throttled_then_stalled)
    with pytest.raises(LockHeldError, match=r"expired 2\d{3}s ago .*sagemaker:UpdateEndpoint was not sent"):
        world.dev.run(stale, lock_clock=lambda: now[0]).deploy()

    assert len(attempts) == 2  # the retry reached the check, and went no further
    live = world.describe()
    assert f"-v{v2 + 1}-" in live["EndpointConfigName"] and live["EndpointStatus"] == "InService"
    mine = [e for e in deployments(world) if e["version"] == str(v2)]
    assert [e["result"] for e in mine] == ["started", "failed"]
    # the throttled attempt changed nothing, and the retry was never sent: no possible change to record
    assert not [e for e in history(world, "dev") if e["event"] == "lease_lost_after_change"]


def test_42_an_unrecorded_newer_version_is_no_reason_to_refuse_going_back_to_the_ledgers(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    v2, arn2 = world.add_version()
    v3, _ = world.add_version(status="PendingManualApproval")
    stale = world.dev.sessions(build_id="churn-dev:stale")
    sm = stale.client("sagemaker", deploy_role("dev"), REGION)

    def take_over_and_deploy() -> None:  # the stale run's lease expired; a regular deploy ships v2 meanwhile
        other = world.ledger(build_id="churn-dev:other", clock=lambda: time.time() + 3600)
        other.acquire_lock(world.endpoint, "churn-dev:other#1", 60, stage="dev")
        other.release_lock(world.endpoint, "churn-dev:other#1")
        assert cli(world, "deploy", "--stage", "dev") == 0

    sm.meta.events.register("before-send.sagemaker.UpdateEndpoint", once(take_over_and_deploy))
    with pytest.raises(LockHeldError):  # an operator's forced pin of v3, stalled past its lease
        world.dev.run(stale, build_id="churn-dev:stale").deploy(pinned=v3, force=True)
    assert f"-v{v3}-" in world.describe()["EndpointConfigName"]  # serving v3, which no run recorded live
    v2_config = next(e for e in deployments(world) if e["version"] == str(v2) and e["result"] == "succeeded")[
        "endpoint_config"
    ]

    # v3 is newer than v2 but was never live by the ledger: going back to v2 is the repair, not a downgrade
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert world.describe()["EndpointConfigName"] == v2_config
    repaired = deployments(world)[-1]
    assert (repaired["event"], repaired["result"], repaired["version"]) == ("deployment", "succeeded", str(v2))
    assert repaired["reason"].startswith(f"update: back to the ledger's live v{v2}; repairs drift:")
    assert world.metadata(arn2).get("deployer:live:dev") == "true"


# -- the pure parts --------------------------------------------------------------------------------------------------


@dataclass
class FakeLease:
    now: float = 0.0
    endpoint: str = "churn-dev"
    owner: str = "me#1"
    ttl: int = 100
    deadline: float = 100.0
    renewals: int = 0

    def clock(self) -> float:
        return self.now


class FakeRequest:
    body = json.dumps({"EndpointName": "churn-dev", "EndpointConfigName": "churn-dev-v2-abc"}).encode()


def test_send_deadline_checks_mutating_requests_only_and_keeps_what_may_have_landed() -> None:
    lease = FakeLease()
    guard = SendDeadline(lease)
    guard.check("sagemaker", event_name="before-send.sagemaker.DescribeEndpoint", request=FakeRequest())
    assert guard.sent == []
    guard.check("sagemaker", event_name="before-send.sagemaker.UpdateEndpoint", request=FakeRequest())
    guard.answered(response_dict={"status_code": 400})  # throttled: it changed nothing
    assert guard.sent == []
    guard.check("sagemaker", event_name="before-send.sagemaker.UpdateEndpoint", request=FakeRequest())
    guard.answered(response_dict={"status_code": 503})  # may have landed
    assert guard.unconfirmed_changes() == [SentCall("sagemaker:UpdateEndpoint", "churn-dev-v2-abc", 0)]
    lease.renewals += 1  # a renewal after it proves it landed while the lease was ours
    assert guard.unconfirmed_changes() == []
    lease.now = 90.0  # the last tenth of the lease is kept in reserve
    with pytest.raises(
        LockHeldError,
        match=r"churn-dev is 10s from expiry \(reserve 10s\) by this run's clock .*application-autoscaling:Put",
    ):
        guard.check("application-autoscaling", event_name="before-send.application-auto-scaling.PutScalingPolicy")


def plan_of(action: Action, candidate: int, config: str, live: int, live_config: str, **extra: Any) -> Plan:
    return Plan(
        stage="dev",
        endpoint="churn-dev",
        action=action,
        reason="as planned",
        candidate_version=candidate,
        candidate_arn=f"arn:pkg/{candidate}",
        model_name=f"m{candidate}",
        config_name=config,
        config_hash="h",
        live_version=live,
        live_config=live_config,
        live_status="InService",
        **extra,
    )


DRIFT = Drift("churn-dev", "c3", 3, "c2", 2, "arn:pkg/2", "2026-12-07T00:00:00Z")


@pytest.mark.parametrize(
    ("plan", "approval", "pinned", "expected"),
    [
        (plan_of(Action.REFUSE, 2, "c2", 3, "c3"), "Approved", False, (Action.UPDATE, "back to the ledger's live v2")),
        (plan_of(Action.UPDATE, 4, "c4", 3, "c3"), "Approved", False, (Action.UPDATE, "v2 -> v4")),
        (plan_of(Action.REFUSE, 1, "c1", 3, "c3"), "Approved", False, (Action.REFUSE, "candidate v1 is older")),
        (plan_of(Action.REFUSE, 1, "c1", 3, "c3"), "Rejected", False, (Action.ROLLBACK, "live v2 was Rejected")),
        (plan_of(Action.ROLLBACK, 1, "c1", 3, "c3"), "Approved", True, (Action.ROLLBACK, "operator pinned v1")),
    ],
)
def test_converge_judges_the_candidate_against_the_ledgers_live_version(
    plan: Plan, approval: str, pinned: bool, expected: tuple[Action, str]
) -> None:
    converged = converge(plan, DRIFT, approval, pinned=pinned)
    assert converged.action == expected[0] and converged.reason.startswith(expected[1])
    assert "repairs drift: churn-dev runs c3 (v3), but the ledger says c2 (v2) is live" in converged.reason
    assert (converged.live_version, converged.live_package_arn, converged.live_config) == (2, "arn:pkg/2", "c3")


def test_converge_leaves_a_plan_alone_without_drift_or_when_nothing_is_judged() -> None:
    plan = plan_of(Action.REFUSE, 2, "c2", 3, "c3")
    assert converge(plan, None, "Approved", pinned=False) is plan
    noop = plan_of(Action.NOOP, 3, "c3", 3, "c3")
    assert converge(noop, DRIFT, "Approved", pinned=False) is noop
