"""Clients into the target account, created on first use; never at import time."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from deployer.errors import aws_call
from deployer.sessions import Client, role_label

# Verbs of the calls that change something; every one of them passes the fence first.
MUTATING_VERBS = ("Create", "Update", "Delete", "Add", "Register", "Deregister", "Put")


class Target:
    """Clients into the target account (created on first use), with what messages need to name it.

    `fence`, when set, is called with the action before every mutating call (the promotion layer renews the
    endpoint lease there, so a run that lost it changes nothing more).
    """

    def __init__(self, client_factory: Callable[[str], Client], account: str, role: str) -> None:
        self._factory = client_factory
        self.account = account
        self.role = role
        self.fence: Callable[[str], None] | None = None

    @cached_property
    def sagemaker(self) -> Client:
        return self._factory("sagemaker")

    @cached_property
    def autoscaling(self) -> Client:
        return self._factory("application-autoscaling")

    @cached_property
    def iam(self) -> Client:
        return self._factory("iam")

    @cached_property
    def s3(self) -> Client:
        return self._factory("s3")

    @cached_property
    def cloudwatch(self) -> Client:
        return self._factory("cloudwatch")

    @cached_property
    def kms(self) -> Client:
        return self._factory("kms")

    @cached_property
    def runtime(self) -> Client:
        return self._factory("sagemaker-runtime")

    def call(self, action: str) -> Any:
        """The error translation around one call of `action` (`service:Operation`); fenced when it mutates."""
        if self.fence is not None and action.partition(":")[2].startswith(MUTATING_VERBS):
            self.fence(action)
        return aws_call(action, self.account, role_label(self.role))
