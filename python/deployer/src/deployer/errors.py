"""One exception hierarchy; the CLI maps each class to a documented exit code.

| exit | class                 | meaning                                                        |
|------|-----------------------|----------------------------------------------------------------|
| 0    | -                     | done, or nothing to change (candidate already live)            |
| 1    | DeployerError         | unexpected AWS error (message says which call failed)          |
| 2    | InputError            | bad config file, flag, version or reference; nothing changed   |
| 3    | NothingToDeployError  | no eligible candidate version                                  |
| 4    | RolloutError          | rollout failed, timed out or was rolled back by SageMaker;     |
|      |                       | smoke tests failed; the live version cannot be promoted        |
| 5    | AccessDeniedError     | access denied: names account, role and action                  |
| 6    | LockHeldError         | another rollout holds the endpoint's lease lock                |

The ledger, registry-marks and smoke modules keep their own small exception classes (they do not depend on
this package); `translated` maps them into this hierarchy at the boundary, naming the account and role.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError, PartialCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from deployer.aws_errors import error_code, error_message, is_access_denied, is_transient


class DeployerError(Exception):
    """Base class: an expected failure with a one-line (or few-line) message, no traceback."""

    exit_code = 1


class TransientError(DeployerError):
    """AWS said "not now" (throttling, 5xx, a dropped connection, an expired token) after botocore's own retries.

    Exit 1 when it ends a run; a wait tries the call again at its next poll while the lease is still ours."""


def is_retryable(exc: BaseException) -> bool:
    """Worth another try later: a TransientError, or a raw AWS error that `aws_errors.is_transient` classifies so."""
    return isinstance(exc, TransientError) or is_transient(exc)


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


class VerificationError(RolloutError):
    """The endpoint does not provably serve the version the ledger says was deployed."""


class SmokeTestError(RolloutError):
    """One or more smoke-test cases failed."""


class MetricGateError(RolloutError):
    """The candidate's registered metrics fail the stage's metric gate against the live version."""


class PromotionRefusedError(RolloutError):
    """The live version may not be recorded as verified (not tested, not Approved, not ours, ...)."""


class RecordError(DeployerError):
    """The change went through, but recording it (ledger, registry metadata, event) failed.

    The exit code is that of the underlying failure (access denied stays 5); re-running the verb repairs the
    record without changing the endpoint again.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class LockHeldError(DeployerError):
    """Another rollout holds the endpoint's lease; the message names the holder, its build and the expiry."""

    exit_code = 6


class AccessDeniedError(DeployerError):
    """AWS denied a call; the message names the account, the role and the action."""

    exit_code = 5

    def __init__(self, account: str, role: str, action: str, detail: str = "") -> None:
        self.account = account
        self.role = role
        self.action = action
        message = f"access denied: {action} in account {account or 'unknown'} as {role or 'current credentials'}"
        super().__init__(f"{message}: {detail}" if detail else message)


@contextmanager
def aws_call(action: str, account: str, role: str) -> Iterator[None]:
    """Translate AWS errors of `action` (e.g. 'sagemaker:CreateModel') into the hierarchy.

    Access denied becomes AccessDeniedError naming account and role; throttling, 5xx, connection errors and
    an expired token become TransientError; any other ClientError becomes a DeployerError naming the action.
    Callers catch specific codes inside the block.
    """
    try:
        yield
    except ClientError as exc:
        if is_access_denied(exc):
            raise AccessDeniedError(account, role, action, error_message(exc)) from exc
        if is_transient(exc):
            raise TransientError(
                f"{action} failed in account {account}: {error_code(exc)}: {error_message(exc)}"
            ) from exc
        raise DeployerError(f"{action} failed in account {account}: {error_code(exc)}: {error_message(exc)}") from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AccessDeniedError(account, role, action, f"no usable credentials ({exc})") from exc
    except (BotoConnectionError, HTTPClientError) as exc:
        raise TransientError(f"{action} failed in account {account}: {exc}") from exc


@contextmanager
def translated(account: str, role: str) -> Iterator[None]:
    """Map the ledger's, the registry marks' and the smoke tests' exceptions into this hierarchy.

    `account` and `role` are those of the registry side (ledger table, model package metadata); smoke-test
    denials name the target side themselves. A raw ClientError that escapes the ledger (say, throttling after
    every retry) becomes a DeployerError naming the operation.
    """
    try:
        yield
    except Exception as exc:
        mapped = _translation(exc, account, role)
        if mapped is None:
            raise
        raise mapped from exc


def _loaded(module: str) -> Any:
    """The module when it is imported, else None. This module imports none of the three packages whose errors it
    maps (they import it: a cycle, and the CLI would load them all for any verb); an exception of theirs can only
    exist once its module is loaded, so one that is not loaded has nothing to match."""
    return sys.modules.get(module)


def _translation(exc: Exception, account: str, role: str) -> Exception | None:
    """What `translated` raises instead of `exc`, or None to let it through."""
    ledger = _loaded("deployer.ledger.models")
    if ledger is not None and isinstance(exc, ledger.LedgerError):
        if isinstance(exc, ledger.LockHeld):
            return LockHeldError(str(exc))
        if isinstance(exc, ledger.LockLost):
            return RolloutError(f"{exc}; this rollout stopped waiting (the endpoint may still be changing)")
        if isinstance(exc, ledger.LedgerAccessDenied):
            return AccessDeniedError(account, role, exc.action or "dynamodb", str(exc))
        if isinstance(exc, (ledger.LedgerTableNotFound, ledger.LedgerInputError)):
            return InputError(str(exc))
        return DeployerError(str(exc))
    marks = _loaded("deployer.registry_marks")
    if marks is not None and isinstance(exc, marks.RegistryMarksError):
        if isinstance(exc, marks.RegistryAccessDenied):
            return AccessDeniedError(account, role, exc.action or "sagemaker:UpdateModelPackage", str(exc))
        if isinstance(exc, marks.RegistryMarksInputError):
            return InputError(str(exc))
        return DeployerError(str(exc))
    smoke = _loaded("deployer.smoke.errors")
    if smoke is not None and isinstance(exc, smoke.SmokeConfigError):
        return InputError(str(exc))
    if isinstance(exc, ClientError):
        operation = getattr(exc, "operation_name", "") or "AWS call"
        if is_access_denied(exc):
            return AccessDeniedError(account, role, operation, error_message(exc))
        if is_transient(exc):
            return TransientError(f"{operation} failed: {error_code(exc)}: {error_message(exc)}")
        return DeployerError(f"{operation} failed: {error_code(exc)}: {error_message(exc)}")
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return TransientError(f"ledger call failed: {exc}")
    return None
