"""Who signed a request: the bootstrap administrator, an assumed-role session, or an IAM user.

The bootstrap administrator holds credentials the sandbox did not issue (`sandbox`/`sandbox`, what
Terraform and the demo's operator start from). It is the tooling account's root: unrestricted by
identity policies, as an account's root is, but still subject to resource policies, as in AWS.
Credentials that look issued by STS or IAM (`ASIA…`, `AKIA…`) but are unknown are refused, as AWS
refuses an expired or forged token.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sandbox.iam.model import Principal

_ISSUED_PREFIXES = ("ASIA", "AKIA")
_CREDENTIAL = re.compile(r"Credential=([A-Za-z0-9]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@dataclass(frozen=True)
class Signature:
    access_key: str
    region: str
    service: str


def signature_of(authorization: str, query_credential: str = "") -> Signature | None:
    """The SigV4 credential scope of a request (header, or a presigned URL's X-Amz-Credential)."""
    match = _CREDENTIAL.search(authorization) or _CREDENTIAL.search(f"Credential={query_credential}")
    return Signature(match.group(1), match.group(2), match.group(3)) if match else None


class UnknownCredentials(Exception):
    """An access key that looks issued by AWS but that the sandbox never issued (or that a reset wiped)."""


class PrincipalDirectory:
    """Access key -> Principal, cached; the cache is dropped when moto's state is reset."""

    def __init__(self, tooling_account: str) -> None:
        self.tooling_account = tooling_account
        self._cache: dict[str, Principal] = {}
        self._lock = threading.Lock()

    @property
    def admin(self) -> Principal:
        root = f"arn:aws:iam::{self.tooling_account}:root"
        return Principal(account=self.tooling_account, arn=root, principal_arn=root)

    def is_admin(self, principal: Principal) -> bool:
        return principal.arn == self.admin.arn and not principal.service

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def resolve(self, access_key: str) -> Principal:
        with self._lock:
            cached = self._cache.get(access_key)
        if cached is not None:
            return cached
        principal = _lookup(access_key)
        if principal is None:
            if access_key.startswith(_ISSUED_PREFIXES):
                raise UnknownCredentials(access_key)
            principal = self.admin
        with self._lock:
            self._cache[access_key] = principal
        return principal


def _lookup(access_key: str) -> Principal | None:
    from moto.iam import models as iam_models
    from moto.sts.models import sts_backends

    account = iam_models.get_account_id_from(access_key)
    role = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    if role is not None:
        return Principal(account=role.account_id, arn=str(role.arn), principal_arn=_role_arn(role.role_arn))
    user = iam_models.iam_backends[account]["aws"].get_user_from_access_key_id(access_key)
    if user is not None:
        return Principal(account=account, arn=str(user.arn), principal_arn=str(user.arn))
    return None


def _role_arn(assumed: str) -> str:
    """aws:PrincipalArn is the role's ARN with its path, as IAM reports it."""
    from moto.iam.models import iam_backends

    account = assumed.split(":")[4]
    try:
        return str(iam_backends[account]["aws"].get_role_by_arn(assumed).arn)
    except Exception:  # a role assumed before it was deleted keeps its plain ARN
        return assumed
