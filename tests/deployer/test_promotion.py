"""Promotion across accounts against the sandbox: ledger-backed deploys, test, promote, events, rejection."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from deployer.cli import main
from deployer.ledger import DynamoDBStore, MarkKind
from tests.conftest import Sandbox
from tests.deployer.conftest import DEV, TOOLING, Body, World, cli, cli_json, deploy_role, history, marks


@pytest.fixture
def chain(sandbox_env: Sandbox, unique: Callable[[str], str], tmp_path: Path) -> World:
    """dev -> staging -> prod, each promoting to the next over its bus."""
    w = World(sandbox_env, unique, tmp_path)
    w.add_stage("staging")
    w.add_stage("prod")
    return w


def ship(world: World, stage: str) -> None:
    """What a stage's pipeline does: deploy, test, promote (each must succeed)."""
    assert cli(world, "deploy", "--stage", stage) == 0
    assert cli(world, "test", "--stage", stage, "--junit-xml", str(world.root / f"reports/{stage}.xml")) == 0
    assert cli(world, "promote", "--stage", stage) == 0


def test_v1_goes_dev_staging_prod_v2_stops_before_prod_and_rejecting_it_rolls_back(
    chain: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = chain
    dev, staging, prod = world.slots["dev"], world.slots["staging"], world.slots["prod"]
    monkeypatch.setenv("CODEBUILD_BUILD_ID", "churn-dev:0001")
    v1, arn1 = world.add_version()

    # staging cannot take v1 before dev verified it, and plan says why
    assert cli(world, "plan", "--stage", "staging") == 3
    assert f"v{v1} is Approved but not verified in dev" in capsys.readouterr().err

    ship(world, "dev")
    (event,) = staging.received()
    assert (event["source"], event["detail-type"]) == ("mlops.deployer", "Model Version Verified")
    assert event["detail"]["next_stage"] == "staging"
    assert event["detail"]["project"] == world.name and event["detail"]["stage"] == "dev"
    assert event["detail"]["model"] == world.model  # which model of the platform: its rules may match on it
    assert (event["detail"]["model_version"], event["detail"]["model_package_arn"]) == (v1, arn1)
    assert event["account"] == DEV and event["resources"] == [arn1]

    capsys.readouterr()
    assert cli(world, "plan", "--stage", "staging") == 0
    out = capsys.readouterr().out
    assert f"why: v{v1} is Approved and was verified in dev at " in out
    assert "action: create (no endpoint yet)" in out and "lock: free" in out

    monkeypatch.setenv("CODEBUILD_BUILD_ID", "churn-staging:0001")
    ship(world, "staging")
    assert [e["detail"]["model_version"] for e in prod.received()] == [v1]
    monkeypatch.setenv("CODEBUILD_BUILD_ID", "churn-prod:0001")
    ship(world, "prod")  # the last stage records only
    capsys.readouterr()
    assert cli(world, "promote", "--stage", "prod") == 0  # a repeat changes nothing
    assert "prod is the last stage: recorded only, no event" in capsys.readouterr().out

    # every stage verified v1, the registry shows where it lives
    for stage in ("dev", "staging", "prod"):
        assert marks(world, stage, "verified") == [v1]
    metadata = world.metadata(arn1)
    assert {k for k in metadata if k.startswith("deployer:live:")} == {
        "deployer:live:dev",
        "deployer:live:staging",
        "deployer:live:prod",
    }
    assert set(metadata) >= {"deployer:verified:dev", "deployer:verified:staging", "deployer:verified:prod"}

    # the ledger history of a deploy: who, what, when, result, build id
    started, succeeded = [e for e in history(world, "staging") if e["event"] == "deployment"]
    assert (started["result"], succeeded["result"]) == ("started", "succeeded")
    assert succeeded["deployment_id"] == started["deployment_id"]
    assert succeeded["build_id"] == "churn-staging:0001"
    assert succeeded["caller_arn"].startswith("arn:aws:")
    assert (succeeded["version"], succeeded["model_package_arn"]) == (str(v1), arn1)
    assert succeeded["endpoint_config"] == staging.describe()["EndpointConfigName"]

    # v2: canary to dev and staging; prod's manual approval is rejected, so its pipeline never deploys
    monkeypatch.setenv("CODEBUILD_BUILD_ID", "churn-dev:0002")
    v2, arn2 = world.add_version()
    ship(world, "dev")
    assert (
        dev.describe()["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"]
        == "CANARY"
    )
    assert [e["detail"]["model_version"] for e in staging.received()] == [v2]
    ship(world, "staging")
    assert [e["detail"]["model_version"] for e in prod.received()] == [v2]
    prod_config = prod.describe()["EndpointConfigName"]

    # reject v2: dev and staging roll back to v1 (their pipelines run deploy), prod never saw v2
    world.set_status(arn2, "Rejected")
    for slot in (dev, staging):
        capsys.readouterr()
        code, result = cli_json(world, capsys, "deploy", "--stage", slot.stage)
        assert code == 0
        assert (result["outcome"], result["action"], result["candidate_version"]) == ("rolled-back", "rollback", v1)
        assert result["message"].startswith(f"rolled {slot.stage} back from v{v2} to v{v1}: live v{v2} was Rejected")
        assert marks(world, slot.stage, "rolled_back") == [v2]
        assert cli(world, "test", "--stage", slot.stage) == 0
        assert cli(world, "promote", "--stage", slot.stage) == 0  # v1 was verified and promoted before
    assert staging.received() == [] and prod.received() == []  # no second promotion of v1
    assert cli(world, "deploy", "--stage", "prod") == 0
    assert prod.describe()["EndpointConfigName"] == prod_config
    assert world.metadata(arn2) == {
        "deployer:verified:dev": world.metadata(arn2)["deployer:verified:dev"],
        "deployer:verified:staging": world.metadata(arn2)["deployer:verified:staging"],
        "deployer:rolled-back:dev": world.metadata(arn2)["deployer:rolled-back:dev"],
        "deployer:rolled-back:staging": world.metadata(arn2)["deployer:rolled-back:staging"],
    }
    assert "deployer:live:dev" in world.metadata(arn1) and "deployer:live:staging" in world.metadata(arn1)

    # the whole matrix
    capsys.readouterr()
    code, report = cli_json(world, capsys, "status")
    assert code == 0
    rows = {row["version"]: row for row in report["versions"]}
    assert [row["version"] for row in report["versions"]] == [v2, v1]
    assert rows[v2]["approval"] == "Rejected" and rows[v1]["approval"] == "Approved"
    for stage in ("dev", "staging"):
        assert rows[v2]["stages"][stage]["live"] is False
        assert rows[v2]["stages"][stage]["verified_at"] and rows[v2]["stages"][stage]["rolled_back_at"]
    assert rows[v2]["stages"]["prod"] == {
        "live": False,
        "verified_at": None,
        "rolled_back_at": None,
        "promoted_at": None,
    }
    assert all(
        rows[v1]["stages"][s]["live"] and rows[v1]["stages"][s]["verified_at"] for s in ("dev", "staging", "prod")
    )
    assert {s["stage"]: s["live_version"] for s in report["stages"]} == {"dev": v1, "staging": v1, "prod": v1}
    assert cli(world, "status") == 0
    table = capsys.readouterr().out.splitlines()
    header = next(line for line in table if line.startswith("version"))
    assert header.split() == ["version", "approval", "dev", "staging", "prod"]
    assert next(line for line in table if line.startswith(f"v{v2} ")).split() == [
        f"v{v2}",
        "Rejected",
        "verified,rolled-back",
        "verified,rolled-back",
        "-",
    ]
    assert next(line for line in table if line.startswith(f"v{v1} ")).split() == [
        f"v{v1}",
        "Approved",
        "live,verified",
        "live,verified",
        "live,verified",
    ]


def test_test_verb_proves_the_version_writes_reports_and_records_the_run(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    version, arn = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    capsys.readouterr()
    junit = world.root / "reports" / "smoke.xml"

    code, report = cli_json(world, capsys, "test", "--stage", "dev", "--junit-xml", str(junit))

    assert code == 0 and report["passed"] is True
    serving = report["serving"]
    assert (serving["version"], serving["model_package_arn"]) == (version, arn)
    assert serving["config"] == world.describe()["EndpointConfigName"]
    assert [c["name"] for c in report["cases"]] == ["csv-batch", "json-instance"]
    assert all(f"model_version={version}" in c["custom_attributes"] for c in report["cases"])
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "0")
    # the endpoint is named <project>-<stage>, so the SageMaker Projects config export is written at the repo root
    export = json.loads((world.root / "dev-config-export.json").read_text())
    assert export == {"Parameters": {"SageMakerProjectName": world.name, "StageName": "dev"}}
    assert report["config_export"] == str(world.root / "dev-config-export.json")
    (entry,) = [e for e in history(world, "dev") if e["event"] == "smoke_test"]
    assert (entry["result"], entry["version"], entry["endpoint_config"]) == (
        "succeeded",
        str(version),
        serving["config"],
    )

    assert cli(world, "test", "--stage", "dev") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"serving: {world.endpoint} is InService on {serving['config']}, model package v1")
    assert "PASS csv-batch: ok (10 requests, p95 " in "\n".join(lines)
    assert lines[-2] == "smoke tests passed: 2 of 2 case(s) passed on v1"


def test_export_with_another_endpoint_name_is_refused_only_when_asked_for(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.write_config(project="churn")  # the endpoint is not named churn-dev
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert cli(world, "test", "--stage", "dev") == 0
    assert "config export not written: endpoint.name" in capsys.readouterr().err
    assert cli(world, "test", "--stage", "dev", "--config-export-dir", str(world.root / "out")) == 2
    assert f"endpoint.name '{world.endpoint}' is not churn-dev" in capsys.readouterr().err


def test_test_refuses_an_endpoint_the_ledger_does_not_know(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    world.deployer().deploy()  # a rollout without the ledger (as before this work)
    assert cli(world, "test", "--stage", "dev") == 4
    assert "the ledger records no deployment of dev; run `deployer deploy --stage dev`" in capsys.readouterr().err
    assert cli(world, "deploy", "--stage", "dev") == 0  # no-op, and it records what is live
    assert "repaired the ledger: the ledger had no deployment of this stage" in capsys.readouterr().out
    assert [e["result"] for e in history(world, "dev") if e["event"] == "deployment"] == ["no-op"]
    assert cli(world, "test", "--stage", "dev") == 0


def test_promote_refuses_what_was_not_tested_or_is_no_longer_approved(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _, arn = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    capsys.readouterr()
    assert cli(world, "promote", "--stage", "dev") == 4
    assert "not promoting: no smoke-test run of v1 on " in capsys.readouterr().err
    assert cli(world, "test", "--stage", "dev") == 0
    world.set_status(arn, "PendingManualApproval")
    assert cli(world, "promote", "--stage", "dev") == 4
    assert "not promoting: live v1 is PendingManualApproval in the registry, not Approved" in capsys.readouterr().err
    world.set_status(arn, "Approved")
    assert cli(world, "promote", "--stage", "dev") == 0
    assert marks(world, "dev", "verified") == [1]


def test_a_later_stage_never_promotes_a_version_forced_past_its_upstream(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = world.add_stage("staging")
    world.add_version()
    assert cli(world, "deploy", "--stage", "staging") == 3
    assert "v1 is Approved but not verified in dev" in capsys.readouterr().err
    assert staging.ours()["endpoints"] == []
    assert cli(world, "deploy", "--stage", "staging", "--model-version", "1") == 2
    assert "--model-version 1: not eligible: v1 is Approved but not verified in dev (pass --force" in (
        capsys.readouterr().err
    )
    assert cli(world, "deploy", "--stage", "staging", "--model-version", "1", "--force") == 0
    assert cli(world, "test", "--stage", "staging") == 0
    capsys.readouterr()
    assert cli(world, "promote", "--stage", "staging") == 4
    assert "not promoting: v1 was not verified in dev (deployed with --force?)" in capsys.readouterr().err
    assert marks(world, "staging", "verified") == []


def test_promotion_event_access_denied_then_repaired_by_a_rerun(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = world.add_stage("staging")
    staging.events.remove_permission(EventBusName=staging.bus_name, StatementId="PreviousStagePutEvents")
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert cli(world, "test", "--stage", "dev") == 0
    capsys.readouterr()

    assert cli(world, "promote", "--stage", "dev") == 5
    err = capsys.readouterr().err
    assert f"access denied: events:PutEvents on {staging.bus_arn} in account {DEV} as {deploy_role('dev')}" in err
    assert marks(world, "dev", "verified") == [1]  # recorded; the event is what is missing
    assert marks(world, "dev", "promoted") == []

    staging.events.put_permission(  # put the policy back
        EventBusName=staging.bus_name,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PreviousStagePutEvents",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"},
                        "Action": "events:PutEvents",
                        "Resource": staging.bus_arn,
                    }
                ],
            }
        ),
    )
    assert cli(world, "promote", "--stage", "dev") == 0
    assert [e["detail"]["model_version"] for e in staging.received()] == [1]
    assert marks(world, "dev", "promoted") == [1]
    assert cli(world, "promote", "--stage", "dev") == 0
    assert "already promoted to staging" in capsys.readouterr().out
    assert staging.received() == []


def test_failed_put_events_entry_is_an_error(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_stage("staging")
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert cli(world, "test", "--stage", "dev") == 0
    capsys.readouterr()
    sessions = world.dev.sessions()

    def refuse(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        body = json.dumps(
            {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try later"}]}
        ).encode()
        return AWSResponse(request.url, 200, {"x-amzn-requestid": "failed-entry"}, Body(body))

    sessions.client("events", deploy_role("dev"), "us-east-1").meta.events.register(
        "before-send.events.PutEvents", refuse
    )
    code = main(
        ["--config-dir", str(world.config_dir), "promote", "--stage", "dev"], sessions_factory=lambda *_: sessions
    )
    assert code == 1
    assert "the event was not accepted: InternalFailure: try later" in capsys.readouterr().err
    assert marks(world, "dev", "promoted") == []


def test_rollback_verb_rules(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    v1, _ = world.add_version()
    v2, _ = world.add_version(status="PendingManualApproval")
    v3, arn3 = world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    capsys.readouterr()

    assert cli(world, "rollback", "--stage", "dev", "--to-version", str(v2)) == 2
    assert f"--to-version {v2}: v{v2} is PendingManualApproval (pass --force --reason" in capsys.readouterr().err
    assert cli(world, "rollback", "--stage", "dev", "--to-version", str(v2), "--force") == 2
    assert '--force needs --reason "..."' in capsys.readouterr().err
    assert cli(world, "rollback", "--stage", "dev", "--to-version", "9") == 2
    assert cli(world, "rollback", "--stage", "dev", "--to-version", str(v3)) == 0  # already live: converges
    assert world.ours()["endpoints"] == [world.endpoint]

    # without --to-version: the newest good version older than live (v2 is not Approved)
    capsys.readouterr()
    code, result = cli_json(world, capsys, "rollback", "--stage", "dev", "--reason", "latency regression")
    assert code == 0 and (result["outcome"], result["candidate_version"]) == ("rolled-back", v1)
    (entry,) = [e for e in history(world, "dev") if e["event"] == "rollback"]
    assert entry["reason"] == f"operator rollback from v{v3} to v{v1}: latency regression"
    assert marks(world, "dev", "rolled_back") == [v3]
    assert "deployer:rolled-back:dev" in world.metadata(arn3)

    # the rolled-back v3 is not picked again automatically: the pipeline's deploy is a no-op on v1
    capsys.readouterr()
    assert cli(world, "deploy", "--stage", "dev") == 0
    assert f"already live: v{v1}" in capsys.readouterr().out
    assert cli(world, "plan", "--stage", "dev") == 0
    assert f"passed over: v{v3} is Approved but dev was rolled back from it at " in capsys.readouterr().out

    # forced, with a reason: recorded
    assert cli(world, "rollback", "--stage", "dev", "--to-version", str(v2), "--force", "--reason", "x") == 2
    assert f"not older than live v{v1}" in capsys.readouterr().err
    assert cli(world, "rollback", "--stage", "dev") == 3
    assert f"nothing to roll back to: no Approved version that dev was not rolled back from older than live v{v1}" in (
        capsys.readouterr().err
    )

    # deploying v3 again by name clears its rolled-back mark
    assert cli(world, "deploy", "--stage", "dev", "--model-version", str(v3), "--force") == 0
    assert marks(world, "dev", "rolled_back") == []
    assert cli(world, "rollback", "--stage", "dev", "--to-version", str(v2), "--force", "--reason", "hotfix") == 0
    rollbacks = [e for e in history(world, "dev") if e["event"] == "rollback"]
    assert rollbacks[-1]["reason"] == (
        f"operator rollback from v{v3} to v{v2}: hotfix (forced: v{v2} is PendingManualApproval)"
    )


def test_ledger_and_marks_are_reached_with_the_registry_role(world: World) -> None:
    world.add_version()
    run = world.dev.run()
    run.deploy()
    store = run.ledger().store
    assert isinstance(store, DynamoDBStore)
    client = store.client
    identity = run.sessions.client("sts", world.dev.config().registry.role_arn, "us-east-1").get_caller_identity()
    assert identity["Account"] == TOOLING and ":assumed-role/churn-deployer-dev/" in identity["Arn"]
    assert client is run.sessions.client("dynamodb", world.dev.config().registry.role_arn, "us-east-1")
    assert run.ledger().get_mark("dev", 1, MarkKind.VERIFIED) is None


def test_an_answer_from_another_model_version_fails_the_test(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.add_version()
    assert cli(world, "deploy", "--stage", "dev") == 0
    sessions = world.dev.sessions()

    def other_version(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        csv = "text/csv" in str(request.headers.get("Content-Type", ""))
        # the seeded cases' expected answers, so only the served version is wrong
        body = b"0.19\n0.651\n0.325\n" if csv else b'{"predictions": [0.772]}'
        headers = {
            "Content-Type": "text/csv" if csv else "application/json",
            "X-Amzn-Invoked-Production-Variant": "AllTraffic",
            "X-Amzn-SageMaker-Custom-Attributes": "model_package_arn=x;model_version=7;fleet=blue",
        }
        return AWSResponse(request.url, 200, headers, Body(body))

    sessions.client("sagemaker-runtime", deploy_role("dev"), "us-east-1").meta.events.register(
        "before-send.sagemaker-runtime.InvokeEndpoint", other_version
    )
    junit = world.root / "smoke.xml"
    capsys.readouterr()

    code = main(
        ["--config-dir", str(world.config_dir), "test", "--stage", "dev", "--junit-xml", str(junit)],
        sessions_factory=lambda *_: sessions,
    )

    assert code == 4
    out = capsys.readouterr().out
    assert "FAIL served-version: csv-batch: answered by model version 7 (CustomAttributes), expected v1" in out
    failures = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert failures == ["served-version"]
    assert [e["result"] for e in history(world, "dev") if e["event"] == "smoke_test"] == ["failed"]


def test_a_mark_vouches_for_its_model_package_not_for_a_version_number(
    chain: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world = chain
    v1, arn1 = world.add_version()
    ship(world, "dev")
    # The registry group is replaced: its v1 is a new, untested package under the same version number.
    world.group = f"{world.group}-2"
    world.group_arn = f"{world.group_arn}-2"
    world.tooling_sm.create_model_package_group(ModelPackageGroupName=world.group)
    world.share_with_stages()
    v1_again, arn1_again = world.add_version()
    assert v1_again == v1 and arn1_again != arn1
    world.slots["staging"].write_config()

    capsys.readouterr()
    assert cli(world, "plan", "--stage", "staging") == 3
    assert f"dev verified a different model package ({arn1}, not {arn1_again})" in capsys.readouterr().err
