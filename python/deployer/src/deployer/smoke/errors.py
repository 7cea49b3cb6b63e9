"""The smoke tests' exceptions; the deployer maps them to exit codes (see the package docstring)."""

from __future__ import annotations


class SmokeConfigError(ValueError):
    """The smoke-test file is missing or invalid (exit code 2). The message names the file and the field."""


class SmokeAccessDenied(Exception):
    """InvokeEndpoint was denied (exit code 5)."""


class CaseFailure(Exception):
    """One case failed; the message is the reason shown in the report and the JUnit XML."""


class CheckConfigError(ValueError):
    """A check kind refused its `expect.<kind>` config; the loader adds the file and the case.

    `field` is the part below `expect.<kind>` (empty for the kind's own value), e.g. `min` of `values`.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
