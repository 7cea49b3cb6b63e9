"""Sessions: traceable role session names, refreshable credentials, reuse, and throttling retried."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient
from botocore.credentials import DeferredRefreshableCredentials

from deployer.sessions import AccountSessions, role_session_name
from tests.conftest import REGION, Sandbox
from tests.deployer.conftest import DEV, TOOLING, World


def test_role_session_name_is_traceable_and_valid() -> None:
    assert role_session_name("dev", "churn-dev:0b1c2d3e-aaaa-bbbb") == "deployer-dev-0b1c2d3e-aaaa-bbbb"
    assert role_session_name("prod", "") == "deployer-prod-local"
    long_name = role_session_name("staging", "p:" + "x" * 80 + " /odd")
    assert len(long_name) == 64 and long_name.startswith("deployer-staging-xxx")
    assert all(c.isalnum() or c in "+=,.@-_" for c in role_session_name("dev", "p:a b/c$d"))


def test_sessions_assume_once_per_account_with_refreshable_credentials(deployer_roles: Sandbox) -> None:
    base = boto3.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox", region_name=REGION)
    sessions = AccountSessions("dev", base, build_id="churn-dev:build-42")
    role = f"arn:aws:iam::{DEV}:role/churn-dev-deploy"

    session = sessions.session(role, REGION)
    assert sessions.session(role, REGION) is session
    assert sessions.client("sagemaker", role, REGION) is sessions.client("sagemaker", role, REGION)
    assert isinstance(session.get_credentials(), DeferredRefreshableCredentials)
    assert sessions.session("", REGION) is base

    identity = sessions.client("sts", role, REGION).get_caller_identity()
    assert identity["Account"] == DEV
    assert identity["Arn"].endswith(":assumed-role/churn-dev-deploy/deployer-dev-build-42")
    assert sessions.account_id("", REGION) == TOOLING
    config = sessions.client("sagemaker", role, REGION).meta.config
    assert config.retries["mode"] == "standard" and config.retries["total_max_attempts"] >= 3
    assert config.region_name == REGION


def test_an_assumed_roles_identity_comes_from_its_assume_role_answer(
    deployer_roles: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    make_api_call = BaseClient._make_api_call

    def record(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return make_api_call(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    base = boto3.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox", region_name=REGION)
    sessions = AccountSessions("dev", base, build_id="churn-dev:build-7")
    role = f"arn:aws:iam::{DEV}:role/churn-dev-deploy"

    account, arn = sessions.identity(role, REGION)
    assert account == DEV and arn.endswith(":assumed-role/churn-dev-deploy/deployer-dev-build-7")
    sessions.client("sagemaker", role, REGION).list_model_package_groups()
    assert sessions.account_id(role, REGION) == DEV
    assert calls == ["AssumeRole", "ListModelPackageGroups"]  # assumed once, and no GetCallerIdentity
    assert sessions.account_id("", REGION) == TOOLING  # the current credentials have no AssumeRole answer
    assert calls[-1] == "GetCallerIdentity"


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def test_throttling_is_retried_and_the_call_succeeds(world: World) -> None:
    version, _ = world.add_version()
    deployer = world.deployer()
    registry = deployer.registry()
    attempts: list[str] = []

    def throttle(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        attempts.append(request.url)
        if len(attempts) <= 2:
            body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
            return AWSResponse(request.url, 400, {"x-amzn-requestid": "throttled"}, _Body(body))
        return None  # the third attempt goes to the sandbox

    registry.client.meta.events.register("before-send.sagemaker.ListModelPackages", throttle)
    plan = deployer.plan()

    assert len(attempts) == 3
    assert plan.candidate_version == version
    assert plan.action == "create"
