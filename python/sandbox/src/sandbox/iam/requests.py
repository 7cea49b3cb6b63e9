"""What IAM must authorize for one raw HTTP request to the sandbox: operation, actions, resources, context.

`parse` reads the request the way AWS does: the operation from botocore's own service model (X-Amz-Target,
the query `Action`, the CBOR path, or the REST method + requestUri), then the per-service rules in
`sandbox.iam.services` name each Authorization AWS would check, dependent actions included (iam:PassRole,
kms:GenerateDataKey behind an S3 PutObject, one dynamodb:PutItem per transaction item, ...).
Resource ARNs follow the AWS Service Authorization Reference. Global condition keys (aws:PrincipalArn,
aws:SecureTransport, kms:CallerAccount, ...) are the middleware's; `parse` adds service keys, request tags
and the resource tags the resolver knows.

Benchmark (a warm parse takes ~10-20 microseconds; the first request of a service loads its botocore model,
~5-70 ms). From the repo root, with the fake resolver of the tests:

    .venv/bin/python - <<'PY'
    import timeit
    from sandbox.iam.requests import HttpRequest, parse
    from tests.sandbox.test_iam_requests import FakeResolver
    body = b'{"ModelName": "m", "ExecutionRoleArn": "arn:aws:iam::111111111111:role/r"}'
    req = HttpRequest("sagemaker", "us-east-1", "111111111111", "POST", "/", {},
                      {"x-amz-target": "SageMaker.CreateModel"}, body)
    parse(req, FakeResolver())
    n = 20000
    print(f"{timeit.timeit(lambda: parse(req, FakeResolver()), number=n) / n * 1e6:.1f} us/parse")
    PY
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from sandbox.iam.model import Authorization
from sandbox.iam.services import RULES, prefix_of
from sandbox.iam.services._call import Call, Ctx
from sandbox.iam.services._wire import identify, service

# Paths the sandbox serves for itself, not AWS APIs.
_NOT_API = ("/moto-api", "/_sandbox")
# Services whose own `<prefix>:ResourceTag/<k>` key mirrors aws:ResourceTag.
_SERVICE_RESOURCE_TAG = frozenset({"sagemaker", "iam", "ecr"})
UNKNOWN_OPERATION = "UnknownOperation"


@dataclass(frozen=True)
class HttpRequest:
    service: str  # SigV4 signing name from the credential scope ("sagemaker", "monitoring", "s3", ...)
    region: str
    account: str  # the caller's account (resources default to it)
    method: str
    path: str  # raw path, percent-encoded as received
    query: Mapping[str, Sequence[str]]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes


@dataclass(frozen=True)
class ParsedRequest:
    service_prefix: str  # IAM prefix, e.g. "cloudwatch" for signing name "monitoring"
    operation: str  # botocore operation name ("" when the request named none)
    protocol: str  # botocore protocol: json, query, rest-json, rest-xml, smithy-rpc-v2-cbor
    authorizations: tuple[Authorization, ...]  # empty: AWS checks nothing (sts:GetCallerIdentity)
    exact: bool  # False when a resource could not be derived and "*" was used


class Resolver(Protocol):
    """Lookups into the sandbox's state; each answers None / {} / True when it cannot tell."""

    def bucket_account(self, bucket: str) -> str | None: ...
    def bucket_kms_key(self, bucket: str) -> str | None: ...  # default SSE-KMS key of the bucket
    def object_kms_key(self, bucket: str, key: str) -> str | None: ...  # key an existing object is encrypted with
    def kms_key_arn(self, key_id: str, account: str, region: str) -> str | None: ...  # any key id / alias -> key ARN
    def resource_tags(self, arn: str) -> Mapping[str, str]: ...
    def service_linked_role_exists(self, account: str, role_name: str) -> bool: ...
    def model_package_arn(self, name_or_arn: str, account: str, region: str) -> str | None: ...
    def table_hash_key(self, account: str, region: str, table: str) -> str | None: ...  # name or ARN
    def ssm_parameter_kms_key(self, name: str, account: str, region: str) -> str | None: ...  # SecureString's key


def parse(request: HttpRequest, resolver: Resolver) -> ParsedRequest | None:
    """The Authorizations AWS would check for `request`; None when it is not an AWS API call."""
    if request.path.startswith(_NOT_API):
        return None
    wire = identify(request.service, request.method, request.path, request.query, request.headers, request.body)
    if wire is None:
        return _unknown(request, "", _named_operation(request), "")
    if not wire.known:
        return _unknown(request, wire.service, wire.operation, wire.protocol)
    prefix = prefix_of(wire.service, request.service)
    call = Call(
        service=wire.service,
        prefix=prefix,
        operation=wire.operation,
        params=wire.params,
        region=request.region,
        account=request.account,
        resolver=resolver,
        headers=request.headers,
        query=request.query,
        body=request.body,
    )
    rule = RULES.get(wire.service)
    authorizations = rule(call) if rule is not None else [call.unknown()]
    return ParsedRequest(
        prefix, wire.operation, wire.protocol, _with_resource_tags(authorizations, resolver), call.exact
    )


def preload() -> None:
    """Load the botocore models and route tables of every service with rules (~0.25 s, ~55 MB), so that the
    first request of each service does not pay for it (5-70 ms). Optional: `parse` loads lazily."""
    for name in RULES:
        rest = service(name).rest
        if rest is not None:
            rest.routes("GET")


def _unknown(request: HttpRequest, service: str, operation: str, protocol: str) -> ParsedRequest:
    """An operation no model describes: `<prefix>:<Op>` on "*", flagged inexact for the middleware's log."""
    prefix = prefix_of(service, request.service)
    action = f"{prefix}:{operation or UNKNOWN_OPERATION}"
    return ParsedRequest(prefix, operation, protocol, (Authorization(action, "*", request.account),), False)


def _named_operation(request: HttpRequest) -> str:
    """The operation a request of a service botocore does not know names, if it names one."""
    target = request.headers.get("x-amz-target", "")
    if target:
        return target.rpartition(".")[2]
    return (request.query.get("Action") or [""])[0]


def _with_resource_tags(authorizations: list[Authorization], resolver: Resolver) -> tuple[Authorization, ...]:
    """aws:ResourceTag/<k> (and `<prefix>:ResourceTag/<k>`) of each named resource that exists and has tags."""
    seen: dict[str, Mapping[str, str]] = {}
    out: list[Authorization] = []
    for authz in authorizations:
        arn = authz.resource
        if "*" in arn or ":s3:::" in arn:  # S3 derives its own tag keys (s3:ExistingObjectTag/...)
            out.append(authz)
            continue
        if arn not in seen:
            seen[arn] = resolver.resource_tags(arn)
        tags = seen[arn]
        if not tags:
            out.append(authz)
            continue
        prefix = authz.action.split(":", 1)[0]
        ctx: Ctx = {k: tuple(v) for k, v in authz.context.items()}
        for key, value in tags.items():
            ctx.setdefault(f"aws:resourcetag/{key.lower()}", (value,))
            if prefix in _SERVICE_RESOURCE_TAG:
                ctx.setdefault(f"{prefix}:resourcetag/{key.lower()}", (value,))
        out.append(replace(authz, context=ctx))
    return tuple(out)
