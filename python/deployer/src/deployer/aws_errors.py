"""How an AWS error is classified: one list of access-denied codes for every module that calls AWS.

This module depends on nothing else in the package, so the ledger, the registry marks and the smoke
tests (which keep their own small exception classes) use it too.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

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
NOT_FOUND_CODES = frozenset({"ValidationException", "ResourceNotFound", "ResourceNotFoundException"})
_NOT_FOUND_MARKERS = ("could not find", "not found", "does not exist")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def is_access_denied(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in ACCESS_DENIED_CODES or status == 403


def is_not_found(exc: ClientError) -> bool:
    """SageMaker answers a missing resource with ValidationException and a 'could not find' message."""
    message = error_message(exc).lower()
    return error_code(exc) in NOT_FOUND_CODES and any(marker in message for marker in _NOT_FOUND_MARKERS)


def is_already_existing(exc: ClientError) -> bool:
    """SageMaker refuses a create whose name is taken with ValidationException 'Cannot create already existing'."""
    return error_code(exc) == "ValidationException" and "cannot create already existing" in error_message(exc).lower()
