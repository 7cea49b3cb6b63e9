"""Read a model version's registered metrics: DescribeModelPackage, then GetObject of the document that
`ModelMetrics.ModelQuality.Statistics.S3Uri` names, with the registry role (the artifact bucket is in the
registry account; modules/registry-model grants s3:GetObject on its models/ prefix and kms:Decrypt via S3).

A version without the document, or with one that is not a JSON object, reads as `document=None` with the
reason in `problem`: the gate's `missing` rule decides what that does. Access denied is an error (exit 5).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws_errors import error_code
from deployer.errors import aws_call
from deployer.metric_gate import METRICS_SOURCE, PackageMetrics
from deployer.registry import RegistryReader
from deployer.sessions import Client, role_label

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 1024 * 1024  # a statistics document is a few KB; refuse to parse anything huge
NOT_FOUND = ("NoSuchKey", "404", "NotFound", "NoSuchBucket")


def read_package_metrics(registry: RegistryReader, s3: Client, arn: str, version: int) -> PackageMetrics:
    package = registry.describe(arn)
    if package is None:
        return PackageMetrics(version, arn, problem=f"model package {arn} does not exist")
    statistics = ((package.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}
    uri = str(statistics.get("S3Uri") or "")
    if not uri:
        return PackageMetrics(version, arn, problem=f"v{version} registered no {METRICS_SOURCE}")
    content_type = str(statistics.get("ContentType") or "application/json")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        return PackageMetrics(version, arn, uri, problem=f"{METRICS_SOURCE} of v{version} is {content_type}, not JSON")
    body, problem = _get_object(registry, s3, uri)
    if body is None:
        return PackageMetrics(version, arn, uri, problem=f"{METRICS_SOURCE} of v{version}: {problem}")
    try:
        document = json.loads(body)
    except ValueError as exc:
        return PackageMetrics(version, arn, uri, problem=f"{uri} of v{version} is not JSON: {exc}")
    if not isinstance(document, dict):
        return PackageMetrics(version, arn, uri, problem=f"{uri} of v{version} is not a JSON object")
    return PackageMetrics(version, arn, uri, document)


def _get_object(registry: RegistryReader, s3: Client, uri: str) -> tuple[bytes | None, str]:
    """(the object's bytes, "") or (None, why not) for an object that is not there or not an s3:// URI."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        return None, f"{uri} is not an s3://bucket/key URI"
    bucket, key = uri[5:].split("/", 1)
    account = registry.settings.account_id or registry.account
    with aws_call(f"s3:GetObject on {uri}", account, role_label(registry.role)):
        try:
            answer: Any = s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND:
                return None, f"{uri} does not exist"
            raise
        if int(answer.get("ContentLength") or 0) > MAX_DOCUMENT_BYTES:
            return None, f"{uri} is larger than {MAX_DOCUMENT_BYTES} bytes"
        return bytes(answer["Body"].read()), ""
