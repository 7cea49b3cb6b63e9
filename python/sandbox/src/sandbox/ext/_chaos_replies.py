"""Throttling and server errors in each protocol's own wire shape, as AWS sends them, so that botocore (and any
SDK) classifies them as it would AWS's: a throttling code it backs off on, or a 5xx status it retries."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from xml.sax.saxutils import escape

from sandbox.iam.denials import Reply

THROTTLE_MESSAGE = "Rate exceeded"
DYNAMODB_NAMESPACE = "com.amazonaws.dynamodb.v20120810#"
DYNAMODB_ITEM_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
     "TransactGetItems", "TransactWriteItems"}
)  # fmt: skip
DYNAMODB_THROUGHPUT_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. Consider increasing your "
    "provisioning level with the UpdateTable API."
)
STATUS_TEXT = {400: "400 Bad Request", 500: "500 Internal Server Error", 503: "503 Service Unavailable"}


@dataclass(frozen=True)
class Failure:
    code: str
    status: int
    message: str

    @property
    def fault(self) -> str:  # the query protocol's <Type>
        return "Sender" if self.status < 500 else "Receiver"


def throttling(prefix: str, operation: str, protocol: str, query_compatible: bool) -> Failure:
    """The throttling error the service answers (DynamoDB's item calls: ProvisionedThroughputExceeded; query
    services, and JSON/CBOR services compatible with their old query API such as CloudWatch: Throttling)."""
    if prefix == "dynamodb" and operation in DYNAMODB_ITEM_OPERATIONS:
        return Failure("ProvisionedThroughputExceededException", 400, DYNAMODB_THROUGHPUT_MESSAGE)
    if prefix == "s3":
        return Failure("SlowDown", 503, "Please reduce your request rate.")
    if protocol == "query" or query_compatible:
        return Failure("Throttling", 400, THROTTLE_MESSAGE)
    return Failure("ThrottlingException", 400, THROTTLE_MESSAGE)


def server_error(prefix: str, variant: int) -> Failure:
    """An internal failure (500) or an unavailable service (503), in the service's own code."""
    if variant:
        return Failure("ServiceUnavailable", 503, "Service Unavailable")
    if prefix == "dynamodb":
        return Failure("InternalServerError", 500, "Internal server error")
    if prefix == "s3":
        return Failure("InternalError", 500, "We encountered an internal error. Please try again.")
    return Failure("InternalFailure", 500, "The request processing has failed because of an unknown error.")


def reply(
    failure: Failure, prefix: str, protocol: str, *, query_compatible: bool, json_content_type: str, request_id: str
) -> Reply:
    """`failure` as `protocol` carries it; a query-compatible service adds the query code in a header, which
    botocore reads first."""
    status = STATUS_TEXT[failure.status]
    if protocol == "rest-xml":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{failure.code}</Code>'
            f"<Message>{escape(failure.message)}</Message><RequestId>{request_id}</RequestId>"
            f"<HostId>{request_id}</HostId></Error>"
        ).encode()
        return Reply(status, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body)
    if protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>{failure.fault}</Type><Code>{failure.code}</Code>"
            f"<Message>{escape(failure.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return Reply(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body)
    headers = [("x-amzn-RequestId", request_id)]
    if query_compatible:
        headers.append(("x-amzn-query-error", f"{failure.code};{failure.fault}"))
    if protocol == "smithy-rpc-v2-cbor":
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        return Reply(status, headers, cbor_map({"__type": failure.code, "message": failure.message}))
    if protocol == "rest-json":
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", failure.code)]
        return Reply(status, headers, json.dumps({"message": failure.message}).encode())
    code = DYNAMODB_NAMESPACE + failure.code if prefix == "dynamodb" else failure.code
    headers.append(("Content-Type", json_content_type or "application/x-amz-json-1.1"))
    return Reply(status, headers, json.dumps({"__type": code, "message": failure.message}).encode())


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 256:
        return bytes([major << 5 | 24, length])
    return bytes([major << 5 | 25]) + struct.pack(">H", length)


def cbor_map(fields: dict[str, str]) -> bytes:
    """A CBOR map of text to text (all an error body holds)."""
    out = bytearray(_cbor_head(5, len(fields)))
    for key, value in fields.items():
        for text in (key.encode(), value.encode()):
            out += _cbor_head(3, len(text)) + text
    return bytes(out)
