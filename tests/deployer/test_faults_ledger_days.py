"""Bad days of AWS and of the ledger during a rollout (issue 26): throttled lease renewals, transient errors of a
wait, an expired token, malformed ledger items. Faults are botocore event hooks on the very clients the deployer
uses; malformed items are written straight into the sandbox's table with admin credentials."""

from __future__ import annotations

from typing import Any, cast

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError

from deployer.endpoint import Target, wait_until_settled
from deployer.errors import TransientError
from deployer.ledger import Lease, Ledger, LockLost
from deployer.ledger.dynamodb_items import LEASE_PREFIX, stage_pk
from deployer.promotion import LockKeeper
from deployer.sessions import AccountSessions
from tests.conftest import REGION
from tests.deployer.conftest import World, cli, cli_json, deploy_role, history
from tests.deployer.ledger_support import FakeClock
from tests.deployer.test_faults import answer, last_deployment, registry_role, run_main
from tests.support.accounts import base_session_shared

THROTTLED = {"__type": "ThrottlingException", "message": "Rate exceeded"}
LEDGER_THROTTLED = {"__type": "ProvisionedThroughputExceededException", "message": "slow down"}
EXPIRED = {"__type": "ExpiredTokenException", "message": "The security token included in the request is expired"}
RETRIES = 1  # botocore's retries per call in these tests (its `max_attempts` counts retries, not the first try)
ATTEMPTS = RETRIES + 1  # so one whole failed call is ATTEMPTS answers


def few_retries_sessions() -> AccountSessions:
    """The run's sessions, with botocore's retries cut short (its backoff would make a whole failed call slow)."""
    return AccountSessions("dev", base_session_shared(), build_id="churn-dev:bad-day", max_attempts=RETRIES)


class AfterUpdate:
    """Answers the deployer's own requests with a fault, but only once UpdateEndpoint went through (so the
    fault lands in the wait, never in the fence before a change): `times` answers, or every one when None."""

    def __init__(self, sessions: AccountSessions, body: dict[str, Any], times: int | None) -> None:
        self.body = body
        self.left = times
        self.armed = False
        self.answered = 0
        sm = sessions.client("sagemaker", deploy_role("dev"), REGION)
        sm.meta.events.register("after-call.sagemaker.UpdateEndpoint", self.arm)

    def arm(self, **_: Any) -> None:
        self.armed = True

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if not self.armed or self.left == 0:
            return None
        if self.left is not None:
            self.left -= 1
        self.answered += 1
        return answer(400, self.body)(request)


def renewals(sessions: AccountSessions, fault: AfterUpdate) -> AfterUpdate:
    """`fault` on the lease renewals (UpdateItem) of the run's ledger client."""
    ledger = sessions.client("dynamodb", registry_role("dev"), REGION)
    ledger.meta.events.register("before-send.dynamodb.UpdateItem", fault)
    return fault


def describes(sessions: AccountSessions, fault: AfterUpdate) -> AfterUpdate:
    """`fault` on the wait's DescribeEndpoint calls of the run's SageMaker client."""
    sm = sessions.client("sagemaker", deploy_role("dev"), REGION)
    sm.meta.events.register("before-send.sagemaker.DescribeEndpoint", fault)
    return fault


def scaling_bounds(world: World) -> list[tuple[int, int]]:
    found = world.dev_aas.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"endpoint/{world.endpoint}/variant/AllTraffic"]
    )["ScalableTargets"]
    return [(t["MinCapacity"], t["MaxCapacity"]) for t in found]


def live_v1_then_v2(world: World, wait_seconds: int) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    world.write_config(deployment={"wait_seconds": wait_seconds})
    world.add_version()


# -- 35 ----------------------------------------------------------------------------------------------------------------


def test_35_throttled_renewal_and_describe_are_tried_again_while_the_lease_is_ours(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_v1_then_v2(world, wait_seconds=250)  # an update of about 5 s
    monkeypatch.setenv("DEPLOYER_LOCK_TTL_SECONDS", "3")  # renewed every second, lost after 3 s without one
    sessions = few_retries_sessions()
    renewal = renewals(sessions, AfterUpdate(sessions, LEDGER_THROTTLED, times=ATTEMPTS))  # one whole renewal
    describe = describes(sessions, AfterUpdate(sessions, THROTTLED, times=ATTEMPTS))  # one whole DescribeEndpoint

    assert run_main(world, sessions, "deploy", "--stage", "dev") == 0

    assert (renewal.answered, describe.answered) == (ATTEMPTS, ATTEMPTS)
    entry = last_deployment(world, "dev")
    assert (entry["result"], entry["version"]) == ("succeeded", "2")
    assert world.describe()["EndpointConfigName"] == entry["endpoint_config"]
    assert scaling_bounds(world) == [(2, 4)]


# -- 36 ----------------------------------------------------------------------------------------------------------------


def test_36_a_lease_lost_by_our_clock_stops_the_run_and_the_next_run_repairs_ledger_and_autoscaling(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    live_v1_then_v2(world, wait_seconds=500)  # an update of about 10 s: far past the 3 s lease
    monkeypatch.setenv("DEPLOYER_LOCK_TTL_SECONDS", "3")
    sessions = few_retries_sessions()
    renewal = renewals(sessions, AfterUpdate(sessions, LEDGER_THROTTLED, times=None))  # every renewal, for good
    capsys.readouterr()

    assert run_main(world, sessions, "deploy", "--stage", "dev") == 4

    err = capsys.readouterr().err
    assert f"lost the lock on endpoint {world.endpoint}: renewing the lock" in err
    assert "until the lease ran out by this run's clock" in err
    assert renewal.answered >= 2 * ATTEMPTS  # tried again at later polls before giving up
    assert last_deployment(world, "dev")["result"] == "failed"
    assert scaling_bounds(world) == []  # suspended for the update; a run without its lease changes nothing more

    # the next run (healthy ledger) finds v2 live or still updating to it, and says so
    assert cli(world, "deploy", "--stage", "dev") == 0
    entry = last_deployment(world, "dev")
    assert entry["result"] in ("succeeded", "no-op") and entry["version"] == "2"
    live = world.describe()
    assert (live["EndpointStatus"], live["EndpointConfigName"]) == ("InService", entry["endpoint_config"])
    assert scaling_bounds(world) == [(2, 4)]


# -- 37 ----------------------------------------------------------------------------------------------------------------


def test_37_an_expired_token_during_the_wait_assumes_the_role_again_and_the_rollout_goes_on(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    live_v1_then_v2(world, wait_seconds=250)
    sessions = few_retries_sessions()
    before = sessions.session(deploy_role("dev"), REGION).get_credentials().get_frozen_credentials().access_key
    expired = describes(sessions, AfterUpdate(sessions, EXPIRED, times=1))
    capsys.readouterr()

    assert run_main(world, sessions, "deploy", "--stage", "dev") == 0

    assert expired.answered == 1
    after = sessions.session(deploy_role("dev"), REGION).get_credentials().get_frozen_credentials().access_key
    assert after != before  # the role was assumed again
    assert "access denied" not in capsys.readouterr().err
    entry = last_deployment(world, "dev")
    assert (entry["result"], entry["version"]) == ("succeeded", "2")


# -- 38 ----------------------------------------------------------------------------------------------------------------


def put_item(world: World, **attributes: dict[str, str]) -> None:
    """One item written straight into the ledger table (admin credentials), as a hand edit or a foreign tool
    would leave it."""
    world.dynamodb.put_item(TableName=world.ledger_table, Item=attributes)


def lease_key(world: World) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"{LEASE_PREFIX}{world.endpoint}"}, "sk": {"S": "LOCK"}}


class SpinGuard:
    """Fails the run's ledger reads past `limit` GetItems: a deploy that loops on the lease without a bound
    ends in an error instead of hanging the test (a hook on the run's own ledger client)."""

    def __init__(self, sessions: AccountSessions, limit: int = 50) -> None:
        self.calls = 0
        self.limit = limit
        ledger = sessions.client("dynamodb", registry_role("dev"), REGION)
        ledger.meta.events.register("before-call.dynamodb.GetItem", self)

    def __call__(self, **_: Any) -> None:
        self.calls += 1
        if self.calls > self.limit:
            raise RuntimeError(f"the deploy read the lease {self.calls} times: it spins")


def test_38_malformed_ledger_items_are_named_skipped_or_held_and_unlock_breaks_them(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    history_key = {"pk": {"S": stage_pk(world.model, "dev")}, "sk": {"S": "HISTORY#2999-01-01T00:00:00.000000Z#bad"}}
    put_item(world, **history_key, kind={"S": "history"}, model={"S": world.model}, stage={"S": "dev"},
             event={"S": "deployment"}, result={"S": "succeeded"}, at={"S": "2999-01-01T00:00:00.000000Z"},
             version={"S": "two"})  # fmt: skip
    capsys.readouterr()

    # a malformed history item is skipped with a warning naming its key; every verb goes on
    for verb in ("status", "deploy", "test"):
        assert cli(world, verb, "--stage", "dev") == 0, verb
    err = capsys.readouterr().err
    assert f"malformed ledger history item (pk={history_key['pk']['S']} sk={history_key['sk']['S']})" in err
    assert "version is not a whole number ('two')" in err

    # a lease without expires_at or token: held, shown as malformed, refused by deploy, broken by unlock
    world.add_version()
    put_item(world, **lease_key(world), kind={"S": "lock"}, owner={"S": "hand-edit"})
    code, matrix = cli_json(world, capsys, "status", "--stage", "dev")
    lock = matrix["stages"][0]["lock"]
    assert code == 0 and f"pk={LEASE_PREFIX}{world.endpoint} sk=LOCK" in lock["malformed"]
    assert "token is missing" in lock["malformed"] and "expires_at is missing" in lock["malformed"]
    sessions = few_retries_sessions()
    guard = SpinGuard(sessions)
    assert run_main(world, sessions, "deploy", "--stage", "dev") == 6
    err = capsys.readouterr().err
    assert f"endpoint {world.endpoint} is locked by a malformed ledger lease item" in err
    assert "deployer unlock --stage dev --reason" in err and guard.calls <= 2
    assert cli(world, "unlock", "--stage", "dev", "--reason", "hand-edited lease") == 0
    broken = [e for e in history(world, "dev") if e["event"] == "lock_broken"]
    assert len(broken) == 1 and "expires_at is missing" in broken[0]["details"]["malformed"]

    # expires_at stored as a string (DynamoDB's TTL never expires it; a takeover would compare text and number)
    put_item(world, **lease_key(world), kind={"S": "lock"}, owner={"S": "other"}, token={"S": "t-1"},
             expires_at={"S": "1800000000"})  # fmt: skip
    assert cli(world, "deploy", "--stage", "dev") == 6
    assert "expires_at is not a whole number ('1800000000')" in capsys.readouterr().err
    assert cli(world, "unlock", "--stage", "dev", "--reason", "expires_at written as text") == 0
    assert cli(world, "deploy", "--stage", "dev") == 0
    entry = last_deployment(world, "dev")
    assert (entry["result"], entry["version"]) == ("succeeded", "2")


# -- the keeper's clock, without a sandbox ----------------------------------------------------------------------------


class FlakyLedger:
    """Answers renew_lock with the queued outcomes (an exception is raised); counts the calls."""

    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def renew_lock(self, endpoint: str, owner: str, ttl: int) -> Any:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        return Lease(endpoint, owner, "", "", "t", 0, "tok")


def throttling() -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "UpdateItem")


def test_keeper_tries_a_throttled_renewal_again_until_its_own_deadline() -> None:
    clock = FakeClock(100.0)
    ledger = FlakyLedger(throttling(), throttling(), None, throttling(), throttling(), throttling())
    keeper = LockKeeper(cast(Ledger, ledger), "ep", "me", 30, clock=clock)
    assert keeper.deadline == 130.0

    clock.now = 111.0  # a third of the lease gone: renew, throttled, tolerated
    keeper()
    clock.now = 129.0
    keeper()  # throttled again, 1 s left: still ours
    clock.now = 129.5
    keeper()  # renewed
    assert (ledger.calls, keeper.renewals, keeper.deadline) == (3, 1, 159.5)

    clock.now = 150.0
    keeper()
    clock.now = 159.0
    keeper()
    clock.now = 159.5  # the deadline: lost by our own clock
    with pytest.raises(LockLost, match=r"kept failing .*ran out by this run's clock"):
        keeper()


def test_keeper_stops_at_once_when_the_store_names_another_holder_or_the_error_is_not_transient() -> None:
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "UpdateItem")
    for failure, expected in ((LockLost("now held by b-2"), LockLost), (denied, ClientError)):
        clock = FakeClock(100.0)
        keeper = LockKeeper(cast(Ledger, FlakyLedger(failure)), "ep", "me", 30, clock=clock)
        clock.now = 111.0  # plenty of the lease left by our clock, but nothing to wait for
        with pytest.raises(expected):
            keeper()


class FlakySageMaker:
    """DescribeEndpoint answering the queued outcomes: an exception is raised, a status is answered."""

    def __init__(self, *outcomes: Exception | str) -> None:
        self.outcomes = list(outcomes)

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return {"EndpointName": EndpointName, "EndpointStatus": outcome}


def test_wait_hands_a_transient_describe_to_the_lease_and_keeps_its_own_timeout() -> None:
    def target(*outcomes: Exception | str) -> Target:
        return Target(lambda _service: FlakySageMaker(*outcomes), "222222222222", "")

    clock = FakeClock(0.0)
    tolerated: list[str] = []

    def wait(t: Target, timeout: float = 60.0) -> dict[str, Any]:
        return wait_until_settled(
            t, "ep", timeout=timeout, poll=5.0, clock=clock, sleep=clock.sleep,
            on_transient=lambda exc, what: tolerated.append(f"{what}: {exc}"),
        )  # fmt: skip

    assert wait(target("Updating", throttling(), "InService"))["EndpointStatus"] == "InService"
    assert tolerated == ["describing endpoint ep: sagemaker:DescribeEndpoint failed in account 222222222222: "
                         "ThrottlingException: Rate exceeded"]  # fmt: skip
    with pytest.raises(TransientError):  # past the wait's own timeout, a transient error ends it
        wait(target("Updating", throttling()), timeout=1.0)
    with pytest.raises(TransientError):  # nobody to ask (no lease): botocore's retries were all there was
        wait_until_settled(target(throttling()), "ep", timeout=60.0, poll=5.0, clock=clock, sleep=clock.sleep)
