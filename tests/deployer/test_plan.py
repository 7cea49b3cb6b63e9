"""The pure planning step (`decide`) as a table, and names hashed from the exact Create* requests. No AWS."""

from __future__ import annotations

import dataclasses

import pytest

from deployer.config import load_stage_config
from deployer.naming import digest, hashed_name, parse_name
from deployer.rollout import Action, Situation, decide, endpoint_config_request, model_request
from tests.conftest import REPO

CFG = "churn-dev-v3-aaaaaaaa"  # the config the candidate (v3) would be deployed with
OTHER = "churn-dev-v2-bbbbbbbb"

# (id, situation, expected action, a piece of the reason)
ROWS = [
    ("no endpoint", Situation(3, CFG), Action.CREATE, "no endpoint yet"),
    ("failed", Situation(3, CFG, "Failed", OTHER, 2, failure_reason="boom"), Action.CREATE, "Failed (boom)"),
    ("out of service", Situation(3, CFG, "OutOfService", OTHER, 2), Action.CREATE, "no reason given"),
    ("ours pending", Situation(3, CFG, "Updating", OTHER, 2, pending_config=CFG), Action.RESUME, "earlier run"),
    ("ours creating", Situation(3, CFG, "Creating", CFG), Action.RESUME, "Creating to"),
    ("other update", Situation(3, CFG, "Updating", OTHER, 2, pending_config="x"), Action.WAIT, "in progress"),
    ("rolling back", Situation(3, CFG, "RollingBack", OTHER, 2), Action.WAIT, "RollingBack"),
    ("other creating", Situation(3, CFG, "Creating", OTHER), Action.WAIT, "in progress"),
    ("live, same config", Situation(3, CFG, "InService", CFG, 3), Action.NOOP, "already live"),
    ("live config deleted", Situation(3, CFG, "InService", CFG, 3, live_config_missing=True), Action.UPDATE, "is gone"),
    (
        "other config deleted",
        Situation(3, CFG, "InService", OTHER, 2, live_config_missing=True),
        Action.UPDATE,
        "v2 ->",
    ),
    ("same config, rollback failed", Situation(3, CFG, "UpdateRollbackFailed", CFG, 3), Action.UPDATE, "is Update"),
    ("same version, new config", Situation(3, CFG, "InService", OTHER, 3), Action.UPDATE, "different config"),
    ("newer", Situation(3, CFG, "InService", OTHER, 2, live_approval="Approved"), Action.UPDATE, "v2 -> v3"),
    ("newer, live rejected", Situation(3, CFG, "InService", OTHER, 2, live_approval="Rejected"), Action.UPDATE, "was"),
    ("foreign config", Situation(3, CFG, "InService", "manual"), Action.UPDATE, "config manual -> v3"),
    ("older, pinned", Situation(3, CFG, "InService", OTHER, 4, pinned=True), Action.ROLLBACK, "operator pinned"),
    ("older, live rejected", Situation(3, CFG, "InService", OTHER, 4, live_approval="Rejected"), Action.ROLLBACK, ""),
    ("older, live approved", Situation(3, CFG, "InService", OTHER, 4, live_approval="Approved"), Action.REFUSE, ""),
    ("older, live unknown", Situation(3, CFG, "InService", OTHER, 4), Action.REFUSE, "unknown in the registry"),
]


@pytest.mark.parametrize(("situation", "action", "reason"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_decide(situation: Situation, action: Action, reason: str) -> None:
    got, why = decide(situation)
    assert got == action
    assert reason in why


def test_action_values_are_what_output_and_ledger_show() -> None:
    assert [a.value for a in Action] == ["create", "update", "rollback", "no-op", "resume", "wait", "refuse"]
    assert f"{Action.NOOP}: why" == "no-op: why"


def test_names_hash_the_exact_request() -> None:
    config = load_stage_config(REPO / "examples" / "stage", "dev")
    request = endpoint_config_request(config, "churn-dev-v7-12345678")
    name, hash8 = hashed_name(config.endpoint.name, 7, request)
    assert (name, hash8) == (f"churn-dev-v7-{digest(request)[:8]}", digest(request)[:8])
    assert parse_name(name) == ("churn-dev", 7, hash8)
    assert "EndpointConfigName" not in request and "Tags" not in request

    # any field of the request changes the name, including ones no separate payload listed
    assert hashed_name(config.endpoint.name, 7, {**request, "KmsKeyId": "k"})[0] != name
    capture = dataclasses.replace(config.data_capture, sampling_percentage=config.data_capture.sampling_percentage + 1)
    changed = endpoint_config_request(dataclasses.replace(config, data_capture=capture), "churn-dev-v7-12345678")
    assert hashed_name(config.endpoint.name, 7, changed)[0] != name

    model = model_request(config, "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/7")
    assert model == {
        "ExecutionRoleArn": config.endpoint.execution_role_arn,
        "Containers": [{"ModelPackageName": "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/7"}],
    }
