"""S3: buckets `arn:aws:s3:::<bucket>`, objects `arn:aws:s3:::<bucket>/<key>`; the owner comes from the resolver.

IAM's S3 actions often differ from the REST operation (HeadObject is s3:GetObject, a multipart upload is
s3:PutObject, a versionId turns GetObject into s3:GetObjectVersion). Writes into a bucket whose default (or
requested) encryption is SSE-KMS also need kms:GenerateDataKey, reads of an SSE-KMS object kms:Decrypt (not a HEAD),
both with kms:ViaService = s3.<region>.amazonaws.com.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, Ctx, partition
from sandbox.iam.services.s3_actions import ACTIONS, KEY_CONTEXT_HEADERS, VERSIONED, WRITES

_LIST_KEYS = (("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys"))
# Reads that decrypt the object. HeadObject returns metadata only: it needs s3:GetObject, not kms:Decrypt.
_READS = frozenset({"GetObject", "SelectObjectContent"})
_MULTIPART_PARTS = frozenset({"UploadPart", "UploadPartCopy", "CompleteMultipartUpload"})
_COPIES = frozenset({"CopyObject", "UploadPartCopy"})


class _S3:
    """One S3 request: its bucket, key, owner and the context keys every check of it shares."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.bucket = call.param("Bucket")
        self.key = call.param("Key")
        self.part = partition(call.region)
        self._owners: dict[str, str] = {}

    def owner(self, bucket: str) -> str:
        if bucket not in self._owners:
            self._owners[bucket] = self.call.resolver.bucket_account(bucket) or ""
        return self._owners[bucket]

    def arn(self, bucket: str, key: str = "") -> str:
        return f"arn:{self.part}:s3:::{bucket}/{key}" if key else f"arn:{self.part}:s3:::{bucket}"

    def action(self) -> str:
        op = self.call.operation
        if self.call.param("VersionId") and op in VERSIONED:
            return VERSIONED[op]
        return ACTIONS.get(op, op)

    def context(self) -> Ctx:
        headers, ctx = self.call.headers, self._request_context()
        writes = self.call.operation in WRITES
        for header, key in KEY_CONTEXT_HEADERS.items():
            if header in headers and (writes or not key.startswith("s3:if-")):  # conditional writes only
                ctx[key] = (headers[header],)
        if self.call.param("VersionId"):
            ctx["s3:versionid"] = (self.call.param("VersionId"),)
        if self.call.operation.startswith("ListObject"):
            for name, key in _LIST_KEYS:
                if name in self.call.query:
                    ctx[key] = (self.call.query[name][0],)
        if self.call.operation == "CreateBucket":
            region = _location_constraint(self.call.body)
            ctx["s3:locationconstraint"] = (region or "us-east-1",)
        tagging = headers.get("x-amz-tagging")
        if tagging:
            tags = {k: v[0] for k, v in parse_qs(tagging, keep_blank_values=True).items()}
            ctx.update({f"s3:requestobjecttag/{k.lower()}": (v,) for k, v in tags.items()})
            ctx["s3:requestobjecttagkeys"] = tuple(tags)
        return ctx

    def _request_context(self) -> Ctx:
        headers = self.call.headers
        signed_in_query = "X-Amz-Signature" in self.call.query
        ctx: Ctx = {
            "s3:authtype": ("REST-QUERY-STRING" if signed_in_query else "REST-HEADER",),
            "s3:signatureversion": ("AWS4-HMAC-SHA256",),
        }
        if "x-amz-content-sha256" in headers:
            ctx["s3:x-amz-content-sha256"] = (headers["x-amz-content-sha256"],)
        owner = self.owner(self.bucket) if self.bucket else ""
        if owner:
            ctx["s3:resourceaccount"] = (owner,)
        return ctx

    def existing_object_tags(self) -> Ctx:
        tags = self.call.resolver.resource_tags(self.arn(self.bucket, self.key))
        return {f"s3:existingobjecttag/{k.lower()}": (v,) for k, v in tags.items()}

    def key_arn(self, key: str) -> str:
        """A key ARN from the key id, alias or ARN S3 was given; ids and aliases are the requester's."""
        if key.startswith("arn:") and ":key/" in key:
            return key
        return self.call.resolver.kms_key_arn(key, self.call.account, self.call.region) or key

    def kms(self, action: str, key: str, object_arn: str) -> Authorization:
        ctx: Ctx = {
            "kms:viaservice": (f"s3.{self.call.region}.amazonaws.com",),
            "kms:encryptioncontext:aws:s3:arn": (object_arn,),
            "kms:encryptioncontextkeys": ("aws:s3:arn",),
        }
        return self.call.auth(self.key_arn(key), f"kms:{action}", context=ctx, tags=False)

    def write_key(self) -> str | None:
        """The KMS key a new object is encrypted with: the request's SSE-KMS key, else the bucket default."""
        sse = self.call.headers.get("x-amz-server-side-encryption", "")
        if sse and not sse.startswith("aws:kms"):
            return None
        requested = self.call.headers.get("x-amz-server-side-encryption-aws-kms-key-id", "")
        return requested or self.call.resolver.bucket_kms_key(self.bucket)


def _copy_source(call: Call) -> tuple[str, str, str]:
    """(bucket, key, versionId) of an x-amz-copy-source header: `[/]bucket/key[?versionId=v]`."""
    source, _, version = call.headers.get("x-amz-copy-source", "").partition("?versionId=")
    bucket, _, key = unquote(source).lstrip("/").partition("/")
    return bucket, key, version


def _location_constraint(body: bytes) -> str:
    """The LocationConstraint of a CreateBucket body ("" when absent: us-east-1)."""
    if b"LocationConstraint" not in body:
        return ""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return ""
    found = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "LocationConstraint"), None)
    return (found.text or "") if found is not None else ""


def _deleted_objects(body: bytes) -> list[tuple[str, str]]:
    """(key, versionId) of each object in a DeleteObjects body."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    out = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "Object":
            fields = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
            out.append((fields.get("Key", ""), fields.get("VersionId", "")))
    return out


def _delete_objects(s3: _S3, ctx: Ctx) -> list[Authorization]:
    out = []
    for key, version in _deleted_objects(s3.call.body):
        action = "s3:DeleteObjectVersion" if version else "s3:DeleteObject"
        out.append(s3.call.auth(s3.arn(s3.bucket, key), action, context=ctx, account=s3.owner(s3.bucket)))
    return out or [s3.call.auth(s3.arn(s3.bucket, "*"), "s3:DeleteObject", context=ctx, account=s3.owner(s3.bucket))]


def _kms_dependents(s3: _S3, object_arn: str) -> list[Authorization]:
    op, out = s3.call.operation, []
    if op in _READS:
        found = s3.call.resolver.object_kms_key(s3.bucket, s3.key)
        if found:
            out.append(s3.kms("Decrypt", found, object_arn))
    if op in _COPIES:
        bucket, key, _ = _copy_source(s3.call)
        found = s3.call.resolver.object_kms_key(bucket, key)
        if found:
            out.append(s3.kms("Decrypt", found, s3.arn(bucket, key)))
    if op in ("PutObject", "CopyObject", "CreateMultipartUpload"):
        key_arn = s3.write_key()
        if key_arn:
            out.append(s3.kms("GenerateDataKey", key_arn, object_arn))
    elif op in _MULTIPART_PARTS:
        key_arn = s3.call.resolver.bucket_kms_key(s3.bucket)  # parts reuse the upload's data key
        if key_arn:
            out.append(s3.kms("Decrypt", key_arn, object_arn))
    return out


def _source_read(s3: _S3) -> Authorization:
    bucket, key, version = _copy_source(s3.call)
    action = "s3:GetObjectVersion" if version else "s3:GetObject"
    return s3.call.auth(s3.arn(bucket, key), action, account=s3.owner(bucket), tags=False)


def rules(call: Call) -> list[Authorization]:
    s3 = _S3(call)
    if call.operation == "ListBuckets" or not s3.bucket:
        return [call.star("s3:ListAllMyBuckets")] if call.operation == "ListBuckets" else [call.unknown()]
    ctx = s3.context()
    if call.operation == "DeleteObjects":
        return _delete_objects(s3, ctx)
    action = f"s3:{s3.action()}"
    if not s3.key:
        owner = call.account if call.operation == "CreateBucket" else s3.owner(s3.bucket)
        return [call.auth(s3.arn(s3.bucket), action, context=ctx, account=owner, tags=False)]
    if call.operation not in WRITES:
        ctx.update(s3.existing_object_tags())
    object_arn = s3.arn(s3.bucket, s3.key)
    out = [call.auth(object_arn, action, context=ctx, account=s3.owner(s3.bucket), tags=False)]
    if call.operation == "GetObjectAttributes":
        out.append(
            call.auth(object_arn, action.replace("Attributes", ""), context=ctx, account=out[0].resource_account)
        )
    if call.operation in _COPIES:
        out.append(_source_read(s3))
    out.extend(_kms_dependents(s3, object_arn))
    return out
