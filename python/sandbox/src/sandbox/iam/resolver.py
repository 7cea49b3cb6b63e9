"""The lookups request parsing needs, answered from moto's state (see sandbox.iam.requests.Resolver)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from sandbox.iam import sources

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


def _quiet(default: Any) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Lookups never fail a request: a missing resource is moto's to report, after authorization."""

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                log.debug("%s%s: %s", fn.__name__, args[1:], exc)
                return default  # type: ignore[no-any-return]

        return wrapper

    return decorate


class MotoResolver:
    @_quiet(None)
    def bucket_account(self, bucket: str) -> str | None:
        from moto.s3.models import s3_backends

        owner = s3_backends.bucket_accounts.get(bucket)
        return str(owner[1]) if owner else None

    @_quiet(None)
    def bucket_kms_key(self, bucket: str) -> str | None:
        found = sources.bucket(bucket)
        rule = ((found.encryption or {}).get("Rule") or {}) if found is not None else {}
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
            return None
        key = default.get("KMSMasterKeyID")
        return str(key) if key else None

    @_quiet(None)
    def object_kms_key(self, bucket: str, key: str) -> str | None:
        found = sources.bucket(bucket)
        obj = found.keys.get(key) if found is not None else None
        if obj is None or obj.encryption not in ("aws:kms", "aws:kms:dsse") or not obj.kms_key_id:
            return None
        return str(obj.kms_key_id)

    @_quiet(None)
    def kms_key_arn(self, key_id: str, account: str, region: str) -> str | None:
        from moto.kms.models import kms_backends

        if key_id.startswith("arn:"):
            parts = key_id.split(":", 5)
            account, region = parts[4], parts[3]
        backend = kms_backends[account][region]
        bare = backend.any_id_to_key_id(key_id)
        key = backend.keys.get(bare)
        return str(key.arn) if key is not None else None

    @_quiet(None)
    def ssm_parameter_kms_key(self, name: str, account: str, region: str) -> str | None:
        from moto.ssm.models import ssm_backends

        if name.startswith("arn:"):
            parts = name.split(":", 5)
            account, region = parts[4], parts[3]
        found = ssm_backends[account][region].get_parameter(name)
        if found is None or found.parameter_type != "SecureString":
            return None
        return str(found.keyid or "")

    @_quiet({}.copy())
    def resource_tags(self, arn: str) -> Mapping[str, str]:
        parts = arn.split(":", 5)
        service, region, account = parts[2], parts[3], parts[4]
        if service == "sagemaker":
            from moto.sagemaker.models import sagemaker_backends

            tags = sagemaker_backends[account][region].list_tags(arn)
            return {t["Key"]: t["Value"] for t in tags}
        if service == "kms":
            from moto.kms.models import kms_backends

            tagged = kms_backends[account][region].list_resource_tags(arn)
            return {t["TagKey"]: t["TagValue"] for t in tagged.get("Tags", [])}
        if service in ("codestar-connections", "codeconnections"):
            from sandbox.ext._connections_store import find

            connection = find(arn)
            return dict(connection.tags) if connection is not None else {}
        return {}

    @_quiet(True)
    def service_linked_role_exists(self, account: str, role_name: str) -> bool:
        from moto.iam.models import iam_backends

        return any(role.name == role_name for role in iam_backends[account]["aws"].roles.values())

    @_quiet(None)
    def model_package_arn(self, name_or_arn: str, account: str, region: str) -> str | None:
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        from moto.sagemaker.models import sagemaker_backends

        for arn in sagemaker_backends[account][region].model_packages:
            if arn.split("/", 1)[-1].lower() == name_or_arn.lower():
                return str(arn)
        return None

    @_quiet(None)
    def table_hash_key(self, account: str, region: str, table: str) -> str | None:
        from moto.dynamodb.models import dynamodb_backends

        name = table.rsplit("/", 1)[-1] if table.startswith("arn:") else table
        found = dynamodb_backends[account][region].tables.get(name)
        return str(found.hash_key_attr) if found is not None else None

    @_quiet(None)
    def endpoint_config_of(self, account: str, region: str, endpoint: str) -> str | None:
        from moto.sagemaker.models import sagemaker_backends

        found = sagemaker_backends[account][region].endpoints.get(endpoint)
        return str(found.endpoint_config_name) if found is not None else None
