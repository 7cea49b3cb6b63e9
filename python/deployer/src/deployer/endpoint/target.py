"""Clients into the target account, created on first use; never at import time."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from deployer.errors import aws_call
from deployer.sessions import Client, role_label


class Target:
    """Clients into the target account (created on first use), with what messages need to name it."""

    def __init__(self, client_factory: Callable[[str], Client], account: str, role: str) -> None:
        self._factory = client_factory
        self.account = account
        self.role = role

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
        return aws_call(action, self.account, role_label(self.role))
