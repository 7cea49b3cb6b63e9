"""Administrator sessions per sandbox account, assumed once and sharing parsed service models."""

from __future__ import annotations

from typing import Any

import boto3

from deployer.sessions import shared_loader
from sandbox.harness import ACCOUNTS, Sandbox, base_session

TOOLING, DEV, STAGING, PROD = ACCOUNTS["tooling"], ACCOUNTS["dev"], ACCOUNTS["staging"], ACCOUNTS["prod"]
CHAIN = ("dev", "staging", "prod")

_ADMIN: dict[tuple[str, str], boto3.Session] = {}


def base_session_shared() -> boto3.Session:
    """Default credentials (tooling), with the deployer's shared model loader: what the deployer gets."""
    return base_session(shared_loader())


def admin_session(sandbox: Sandbox, account: str) -> boto3.Session:
    """An admin session in `account` (a name or an id), assumed once per sandbox."""
    key = (sandbox.url, account)
    if key not in _ADMIN:
        _ADMIN[key] = sandbox.session(account, loader=shared_loader())
    return _ADMIN[key]


def admin_client(sandbox: Sandbox, service: str, account: str = "tooling") -> Any:
    return admin_session(sandbox, account).client(service, endpoint_url=sandbox.url)


def deploy_role(stage: str) -> str:
    """The deploy role the test world's stage configs name in the stage account."""
    return f"arn:aws:iam::{ACCOUNTS[stage]}:role/churn-{stage}-deploy"
