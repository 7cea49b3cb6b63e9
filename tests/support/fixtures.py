"""Bodies of the suites' shared fixtures, as plain functions (the conftests wrap them)."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable

from sandbox.harness import ACCOUNTS, Sandbox
from sandbox.testing import create_execution_role

EXECUTION_ROLE = "churn-dev-sagemaker-execution"


# One counter and stamp per process: a counter per test restarted at 0, and two tests whose stamps met
# (milliseconds modulo 100 s) named the same world, which failed CI with "group already exists".
_COUNTER = itertools.count()
_STAMP = f"{os.getpid()}{int(time.time() * 1000) % 100000}"


def unique_names() -> Callable[[str], str]:
    """Unique resource names, so tests sharing one sandbox never collide."""

    def make(prefix: str) -> str:
        return f"{prefix}-{_STAMP}-{next(_COUNTER)}"

    return make


def hosting_execution_role(sandbox: Sandbox) -> str:
    """The dev execution role the hosting tests' models name: trusted by SageMaker, reads their artifacts."""
    iam = sandbox.client("iam", "dev")
    create_execution_role(
        iam,
        EXECUTION_ROLE,
        artifact_bucket=["artifacts", "churn-artifacts"],
        alarm_arns=[f"arn:aws:cloudwatch:*:{ACCOUNTS['dev']}:alarm:*"],
        capture_bucket="churn-dev-data-capture",
    )
    return str(iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"])
