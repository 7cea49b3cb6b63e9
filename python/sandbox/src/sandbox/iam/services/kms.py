"""KMS: keys `key/<id>`, aliases `alias/<name>`. IAM checks key operations on the key, never on an alias.

A KeyId may be a key id, a key ARN, an alias name or an alias ARN; aliases are resolved to their key
(kms:RequestAlias carries the alias used).
"""

from __future__ import annotations

import base64
import re

from sandbox.iam.model import Authorization
from sandbox.iam.services._call import Call, Ctx, Rule, as_dict, as_list, dispatch, is_arn

_STAR = frozenset({"CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants"})
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_KEY_PARAMS = ("KeyId", "DestinationKeyId", "TargetKeyId")


def key_arn(call: Call, key_id: str) -> str | None:
    """The key ARN behind any key identifier; None for an alias that names no key."""
    if is_arn(key_id) and ":key/" in key_id:
        return key_id
    if not is_arn(key_id) and not key_id.startswith("alias/"):
        return call.arn("kms", f"key/{key_id}")
    return call.resolver.kms_key_arn(key_id, call.account, call.region)


def alias_arn(call: Call, alias: str) -> str:
    return alias if is_arn(alias) else call.arn("kms", alias)


def key_context(call: Call, key_id: str) -> Ctx:
    """kms:RequestAlias when the caller named the key by alias, plus the request's encryption context."""
    ctx: Ctx = {}
    if key_id.startswith("alias/") or ":alias/" in key_id:
        ctx["kms:requestalias"] = (key_id.split(":alias/", 1)[-1] if is_arn(key_id) else key_id,)
    encryption = as_dict(call.params.get("EncryptionContext"))
    for key, value in encryption.items():
        ctx[f"kms:encryptioncontext:{key.lower()}"] = (str(value),)
    if encryption:
        ctx["kms:encryptioncontextkeys"] = tuple(encryption)
    return ctx


def _on_key(call: Call, key_id: str, action: str | None = None, extra: Ctx | None = None) -> Authorization:
    arn = key_arn(call, key_id)
    if arn is None:
        return call.unknown(action)
    return call.auth(arn, action, context={**key_context(call, key_id), **(extra or {})})


def _blob_key(call: Call) -> str:
    """The key a ciphertext blob names. moto's blob starts with the key id (real KMS blobs are opaque)."""
    blob = call.params.get("CiphertextBlob")
    try:
        raw = base64.b64decode(blob) if isinstance(blob, str) else bytes(blob or b"")
    except ValueError:
        return ""
    head = raw[:36].decode("ascii", "replace")
    return head if _UUID.match(head) else ""


def _decrypt(call: Call) -> list[Authorization]:
    key_id = call.param("KeyId") or call.param("SourceKeyId") or _blob_key(call)
    action = "ReEncryptFrom" if call.operation == "ReEncrypt" else None
    out = [_on_key(call, key_id, action) if key_id else call.unknown(action)]
    if call.operation == "ReEncrypt":
        out.append(_on_key(call, call.param("DestinationKeyId"), "ReEncryptTo"))
    return out


def _create_grant(call: Call) -> list[Authorization]:
    ctx: Ctx = {"kms:grantisforawsresource": ("false",)}  # a direct call is never an AWS service's grant
    if call.param("GranteePrincipal"):
        ctx["kms:granteeprincipal"] = (call.param("GranteePrincipal"),)
    if call.param("RetiringPrincipal"):
        ctx["kms:retiringprincipal"] = (call.param("RetiringPrincipal"),)
    operations = as_list(call.params.get("Operations"))
    if operations:
        ctx["kms:grantoperations"] = tuple(map(str, operations))
    constraints = as_dict(call.params.get("Constraints"))
    for kind in ("EncryptionContextEquals", "EncryptionContextSubset"):
        for key, value in as_dict(constraints.get(kind)).items():
            ctx[f"kms:encryptioncontext:{key.lower()}"] = (str(value),)
    return [_on_key(call, call.param("KeyId"), extra=ctx)]


def _alias(call: Call) -> list[Authorization]:
    """Alias operations are checked on the alias and on each key it points to, before and after."""
    alias = call.param("AliasName")
    out = [call.auth(alias_arn(call, alias))]
    if call.operation in ("UpdateAlias", "DeleteAlias"):
        current = call.resolver.kms_key_arn(alias, call.account, call.region)
        out.append(call.auth(current) if current else call.unknown())
    if call.param("TargetKeyId"):
        out.append(_on_key(call, call.param("TargetKeyId")))
    return out


def _create_key(call: Call) -> list[Authorization]:
    ctx: Ctx = {}
    for param, key in (("KeySpec", "kms:keyspec"), ("KeyUsage", "kms:keyusage"), ("Origin", "kms:keyorigin")):
        if call.param(param):
            ctx[key] = (call.param(param),)
    if "MultiRegion" in call.params:
        ctx["kms:multiregion"] = (str(bool(call.params["MultiRegion"])).lower(),)
    return [call.star(context=ctx)]


def _generic(call: Call) -> list[Authorization]:
    if call.operation in _STAR:
        return [call.star()]
    for param in _KEY_PARAMS:
        if call.param(param):
            return [_on_key(call, call.param(param))]
    return [call.unknown()]


_RULES: dict[str, Rule] = {
    "CreateKey": _create_key,
    "Decrypt": _decrypt,
    "ReEncrypt": _decrypt,
    "CreateGrant": _create_grant,
    "CreateAlias": _alias,
    "UpdateAlias": _alias,
    "DeleteAlias": _alias,
}


def rules(call: Call) -> list[Authorization]:
    return dispatch(call, _RULES, _generic)
