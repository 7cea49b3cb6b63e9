"""One exception hierarchy; the CLI maps each class to a documented exit code.

| exit | class                 | meaning                                                        |
|------|-----------------------|----------------------------------------------------------------|
| 0    | -                     | done, or nothing to change (candidate already live)            |
| 1    | DeployerError         | unexpected AWS error (message says which call failed)          |
| 2    | InputError            | bad config file, flag, version or reference; nothing changed   |
| 3    | NothingToDeployError  | no eligible candidate version                                  |
| 4    | RolloutError          | rollout failed, timed out or was rolled back by SageMaker      |
| 5    | AccessDeniedError     | access denied: names account, role and action                  |
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError


class DeployerError(Exception):
    """Base class: an expected failure with a one-line (or few-line) message, no traceback."""

    exit_code = 1


class InputError(DeployerError):
    """Bad input: a config file, a flag, or something the config names that does not exist."""

    exit_code = 2


class ConfigError(InputError):
    """The stage config is invalid; `problems` holds every `<file>: <field>: <message> (allowed: ...)` line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid stage config:\n" + "\n".join(f"  {p}" for p in self.problems))


class NothingToDeployError(DeployerError):
    """No candidate version is eligible for this stage."""

    exit_code = 3


class RolloutError(DeployerError):
    """The rollout failed, timed out, or SageMaker rolled it back."""

    exit_code = 4


class RolledBackError(RolloutError):
    """SageMaker went back to the previous endpoint config (alarm, failed health checks, or silently)."""


class EndpointFailedError(RolloutError):
    """The endpoint ended in Failed or UpdateRollbackFailed."""


class RolloutTimeoutError(RolloutError):
    """The endpoint did not settle within the timeout derived from the strategy."""


class EndpointBusyError(RolloutError):
    """Another update of the endpoint is in progress."""


class AccessDeniedError(DeployerError):
    """AWS denied a call; the message names the account, the role and the action."""

    exit_code = 5

    def __init__(self, account: str, role: str, action: str, detail: str = "") -> None:
        self.account = account
        self.role = role
        self.action = action
        message = f"access denied: {action} in account {account or 'unknown'} as {role or 'current credentials'}"
        super().__init__(f"{message}: {detail}" if detail else message)


ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthorizationError",
        "NotAuthorized",
        "Forbidden",
        "403",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def is_access_denied(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in ACCESS_DENIED_CODES or status == 403


@contextmanager
def aws_call(action: str, account: str, role: str) -> Iterator[None]:
    """Translate AWS errors of `action` (e.g. 'sagemaker:CreateModel') into the hierarchy.

    Access denied becomes AccessDeniedError naming account and role; any other ClientError
    becomes a DeployerError naming the action. Callers catch specific codes inside the block.
    """
    try:
        yield
    except ClientError as exc:
        if is_access_denied(exc):
            raise AccessDeniedError(account, role, action, error_message(exc)) from exc
        raise DeployerError(f"{action} failed in account {account}: {error_code(exc)}: {error_message(exc)}") from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AccessDeniedError(account, role, action, f"no usable credentials ({exc})") from exc
