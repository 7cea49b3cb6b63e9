"""What the applied roots' policies let the dev stage do, probed with its real credentials.

The dev deploy project's role is obtained as CodeBuild obtains it (the sandbox's service assume, decided by
the role's trust policy), then the dev registry role in tooling is assumed from it, as the deployer does.
Everything below runs under exactly the policies Terraform rendered.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
from botocore.exceptions import ClientError

from sandbox.testing import session_from
from tests.conftest import ACCOUNTS, REGION, Sandbox

TOOLING, DEV = ACCOUNTS["tooling"], ACCOUNTS["dev"]


def dev_registry_session(sandbox: Sandbox, project: str) -> boto3.Session:
    """dev's deploy build role (as CodeBuild gets it) -> dev's registry role in tooling (as the deployer does)."""
    payload = {
        "service": "codebuild.amazonaws.com",
        "role_arn": f"arn:aws:iam::{DEV}:role/{project}-dev-codebuild",
        "source_arn": f"arn:aws:codebuild:{REGION}:{DEV}:project/{project}-dev-deploy",
    }
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/sts/assume-role-as-service", data=json.dumps(payload).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        build = session_from(json.loads(answer.read())["Credentials"], REGION)
    registry_role = f"arn:aws:iam::{TOOLING}:role/{project}-deployer-dev"
    creds = build.client("sts", endpoint_url=sandbox.url).assume_role(RoleArn=registry_role, RoleSessionName="probe")[
        "Credentials"
    ]
    return session_from(creds, REGION)


def refused(call: Any, **kwargs: Any) -> str:
    """The AccessDenied message of a call that must be refused (AssertionError if it is not)."""
    try:
        call(**kwargs)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        assert code in ("AccessDeniedException", "AccessDenied"), f"{call.__name__}: {code}"
        return str(exc.response["Error"]["Message"])
    raise AssertionError(f"{call.__name__}({kwargs}) was allowed")
