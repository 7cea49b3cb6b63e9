"""How an AWS error is classified: one list of access-denied codes for every module that calls AWS.

This module depends on nothing else in the package, so the ledger, the registry marks and the smoke
tests (which keep their own small exception classes) use it too.
"""

from __future__ import annotations

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthorizationError",
        "NotAuthorized",
        "Forbidden",
        "403",
    }
)
# The session's credentials ran out (an assumed role's hour, or a clock skew): not a denial. The caller
# refreshes them (`deployer.sessions`) and the call is worth another try.
EXPIRED_TOKEN_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
# Errors that say "not now" rather than "no", once botocore's own attempts are spent: throttling (each service
# names it its own way) and the transient codes botocore's standard mode retries. 5xx statuses count too.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
NOT_FOUND_CODES = frozenset({"ValidationException", "ResourceNotFound", "ResourceNotFoundException"})
_NOT_FOUND_MARKERS = ("could not find", "not found", "does not exist")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def is_access_denied(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in ACCESS_DENIED_CODES or status == 403


def is_expired_token(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in EXPIRED_TOKEN_CODES


def is_transient(exc: BaseException) -> bool:
    """Worth trying again later: throttling, 5xx, a connection that failed or timed out, or an expired token
    (which the sessions refresh on sight). Never a denial, a missing resource or a bad request."""
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):  # botocore's: endpoint unreachable, reset, timed out
        return True
    if not isinstance(exc, ClientError):
        return False
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error_code(exc)
    return code in TRANSIENT_CODES or code in EXPIRED_TOKEN_CODES or (isinstance(status, int) and status >= 500)


def is_not_found(exc: ClientError) -> bool:
    """SageMaker answers a missing resource with ValidationException and a 'could not find' message."""
    message = error_message(exc).lower()
    return error_code(exc) in NOT_FOUND_CODES and any(marker in message for marker in _NOT_FOUND_MARKERS)


def is_already_existing(exc: ClientError) -> bool:
    """SageMaker refuses a create whose name is taken with ValidationException 'Cannot create already existing'."""
    return error_code(exc) == "ValidationException" and "cannot create already existing" in error_message(exc).lower()
