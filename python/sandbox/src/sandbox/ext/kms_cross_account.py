"""KMS `DescribeKey` on another account's key ARN, decided by that key's policy.

AWS looks the key up in the account its ARN names and lets the caller in when the key policy allows
`kms:DescribeKey` for them (cross-account use needs the key ARN, not an alias or a bare id). moto looks
every key up in the caller's own account and answers `NotFoundException`, so a stage account could never
check the registry key that encrypts its model artifacts. Same-account calls are left to moto.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.kms.exceptions import NotFoundException
from moto.kms.responses import KmsResponse

from sandbox.ext import _patch

log = logging.getLogger(__name__)

_original_describe_key = KmsResponse.describe_key


class AccessDeniedException(JsonRESTError):  # type: ignore[misc]
    """AWS's shape, with the message (moto's own KMS AccessDeniedException drops it)."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def _key_arn_parts(key_id: str) -> tuple[str, str, str] | None:
    """(region, account, key id) for `arn:<partition>:kms:<region>:<account>:key/<id>`, else None."""
    parts = key_id.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kms" or not parts[5].startswith("key/"):
        return None
    return parts[3], parts[4], parts[5][len("key/") :]


def describe_key(self: Any) -> str:
    key_id = str(_patch.param(self, "KeyId") or "")
    parts = _key_arn_parts(key_id)
    if parts is None or parts[1] == self.current_account:
        return str(_original_describe_key(self))
    from moto.kms.models import kms_backends

    region, account, bare_id = parts
    owner = kms_backends[account][region]
    key = owner.keys.get(bare_id)
    if key is None:
        raise NotFoundException(f"Key '{key_id}' does not exist")
    # The IAM middleware has already decided kms:DescribeKey with the key policy and the caller's policies.
    return json.dumps(owner.describe_key(bare_id).to_dict())


def apply() -> None:
    _patch.replace(KmsResponse, "describe_key", describe_key)
    log.debug("kms: DescribeKey across accounts by key policy")
