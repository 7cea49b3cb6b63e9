"""AccessDenied in each service's own wire shape, as botocore and the Terraform provider parse it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Reply:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


# JSON services whose AWS error code differs from AccessDeniedException, or carries a namespace.
_JSON_CODES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
    "sqs": "com.amazonaws.sqs#AccessDenied",
    "cloudwatch": "AccessDenied",
}
# Query-compatible JSON services report the query error code in a header (botocore reads it).
_QUERY_COMPATIBLE = {"sqs": "AccessDenied;Sender", "cloudwatch": "AccessDenied;Sender"}
_QUERY_CODES = {"sns": "AuthorizationError"}


def access_denied(service_prefix: str, protocol: str, message: str, request_id: str = "sandbox") -> Reply:
    if protocol == "rest-xml":  # S3
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId>"
            f"<HostId>{request_id}</HostId></Error>"
        ).encode()
        return Reply("403 Forbidden", [("Content-Type", "application/xml")], body)
    if protocol == "query":
        code = _QUERY_CODES.get(service_prefix, "AccessDenied")
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return Reply("403 Forbidden", [("Content-Type", "text/xml")], body)
    code = _JSON_CODES.get(service_prefix, "AccessDeniedException")
    headers = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code.rsplit("#", 1)[-1])]
    if protocol == "rest-json":
        headers.append(("Content-Type", "application/json"))
        return Reply("403 Forbidden", headers, json.dumps({"message": message}).encode())
    headers.append(("Content-Type", "application/x-amz-json-1.1"))
    if service_prefix in _QUERY_COMPATIBLE:
        headers.append(("x-amzn-query-error", _QUERY_COMPATIBLE[service_prefix]))
    status = "403 Forbidden" if service_prefix in _QUERY_COMPATIBLE else "400 Bad Request"
    return Reply(status, headers, json.dumps({"__type": code, "message": message, "Message": message}).encode())


def invalid_token(protocol: str) -> Reply:
    message = "The security token included in the request is invalid."
    if protocol in ("rest-xml", "query"):
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
            f"<Message>{message}</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>"
        ).encode()
        return Reply("403 Forbidden", [("Content-Type", "text/xml")], body)
    body = json.dumps({"__type": "UnrecognizedClientException", "message": message}).encode()
    return Reply("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1")], body)
