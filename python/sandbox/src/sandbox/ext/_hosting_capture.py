"""Data capture files as SageMaker writes them (Model Monitor's JSON Lines), for production and shadow variants.

AWS's layout ("Capture data from real-time endpoint"): `<DestinationS3Uri>/<EndpointName>/<VariantName>/
yyyy/mm/dd/hh/<file>.jsonl`, each line `{"captureData": {"endpointInput": {...}, "endpointOutput": {...}},
"eventMetadata": {"eventId", "inferenceTime"}, "eventVersion": "0"}`. Each side carries `observedContentType`,
`mode` (INPUT/OUTPUT), `data` and `encoding`: CSV or JSON when the content type is listed in
`CaptureContentTypeHeader`, otherwise BASE64 (AWS: "If no headers are specified SageMaker AI will by default
base64 encode"). AWS buffers requests into files every few minutes; here each captured request is its own file,
written at once. Exactly `InitialSamplingPercentage` of every run of requests to a variant is captured (a counter).
Errors (ModelError) are not captured: there is no model output. `eventMetadata.inferenceId` is InvokeEndpoint's
InferenceId when the caller gave one.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import uuid
from datetime import datetime
from fractions import Fraction
from typing import Any

from moto.s3.models import s3_backends

log = logging.getLogger(__name__)

_S3_URI = re.compile(r"^(?:s3|https)://([^/]+)/?(.*)$")


def _side(mode: str, content_type: str, body: bytes, headers: dict[str, Any]) -> dict[str, str]:
    kind = content_type.split(";", 1)[0].strip().lower()
    csv_types = {t.lower() for t in headers.get("CsvContentTypes") or []}
    json_types = {t.lower() for t in headers.get("JsonContentTypes") or []}
    if kind in csv_types or kind in json_types:
        encoding, data = ("CSV" if kind in csv_types else "JSON"), body.decode("utf-8", "replace")
    else:
        encoding, data = "BASE64", base64.b64encode(body).decode()
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def record(
    config: dict[str, Any],
    counter: int,
    request: tuple[str, bytes],
    response: tuple[str, bytes],
    now: datetime,
    inference_id: str = "",
) -> dict[str, Any] | None:
    """The capture line for the `counter`-th request to a variant, or None when it is not sampled."""
    if not config or not config.get("EnableCapture", True):
        return None
    share = Fraction(int(config.get("InitialSamplingPercentage", 0)), 100)
    if math.floor((counter + 1) * share) <= math.floor(counter * share):
        return None
    modes = {str(o.get("CaptureMode")) for o in config.get("CaptureOptions") or [{"CaptureMode": "InputAndOutput"}]}
    headers = config.get("CaptureContentTypeHeader") or {}
    data: dict[str, Any] = {}
    if modes & {"Input", "InputAndOutput"}:
        data["endpointInput"] = _side("INPUT", request[0], request[1], headers)
    if modes & {"Output", "InputAndOutput"}:
        data["endpointOutput"] = _side("OUTPUT", response[0], response[1], headers)
    # AWS's records carry the time to the second ("2022-01-11T17:00:39Z") and the caller's InferenceId if given.
    metadata = {"eventId": str(uuid.uuid4()), "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if inference_id:
        metadata["inferenceId"] = inference_id
    return {"captureData": data, "eventMetadata": metadata, "eventVersion": "0"}


def write(config: dict[str, Any], endpoint: str, variant: str, line: dict[str, Any], now: datetime) -> str | None:
    """Put one capture file; its s3:// URI, or None when the bucket is gone (AWS keeps serving then)."""
    match = _S3_URI.match(str(config.get("DestinationS3Uri") or ""))
    if match is None:
        return None
    bucket, prefix = match.group(1), match.group(2).strip("/")
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        log.info("data capture for %s/%s: bucket %s does not exist; nothing written", endpoint, variant, bucket)
        return None
    partition, account = owner
    name = f"{now:%M-%S}-{now.microsecond // 1000:03d}-{line['eventMetadata']['eventId']}.jsonl"
    key = "/".join(p for p in (prefix, endpoint, variant, f"{now:%Y/%m/%d/%H}", name) if p)
    kms = config.get("KmsKeyId") or None
    s3_backends[account][partition].put_object(
        bucket, key, (json.dumps(line) + "\n").encode(), encryption="aws:kms" if kms else None, kms_key_id=kms
    )
    return f"s3://{bucket}/{key}"
