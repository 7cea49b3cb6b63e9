"""Mirror ledger marks into a model package's `CustomerMetadataProperties`, so the registry shows where it lives.

Keys (stage matches ^[a-z0-9-]{1,20}$):

- `deployer:verified:<stage>` = ISO time the stage verified this version (first verification wins)
- `deployer:live:<stage>` = "true" while the version serves the stage's endpoint; removed when it stops
- `deployer:rolled-back:<stage>` = ISO time the stage was rolled back away from this version

UpdateModelPackage merges `CustomerMetadataProperties` into what is there and drops
`CustomerMetadataPropertiesToRemove`, so each call sends only the keys it changes: marks of other stages, and
the team's own keys, are never overwritten. The ledger stays the source of truth; these marks are a view.

Exceptions, and the deployer exit code each should map to: `RegistryMarksInputError` 2, `RegistryAccessDenied` 5,
`RegistryMarksError` 1.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from deployer.aws_errors import is_access_denied

log = logging.getLogger(__name__)

PREFIX = "deployer:"
VERIFIED = "verified"
LIVE = "live"
ROLLED_BACK = "rolled-back"
KINDS = (VERIFIED, LIVE, ROLLED_BACK)

# From botocore's sagemaker service model: CustomerMetadataKey 1-128 and CustomerMetadataValue 1-256 characters
# of pattern [\p{L}\p{Z}\p{N}_.:\/=+\-@]*, and at most 50 entries in CustomerMetadataMap.
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
MAX_ENTRIES = 50
_EXTRA_CHARS = frozenset("_.:/=+-@")
_STAGE_RE = re.compile(r"^[a-z0-9-]{1,20}$")


class RegistryMarksError(Exception):
    """Reading or writing registry marks failed (exit code 1)."""


class RegistryMarksInputError(RegistryMarksError, ValueError):
    """A key, value or stage that SageMaker would reject (exit code 2); nothing was sent."""


class RegistryAccessDenied(RegistryMarksError):
    """The credentials may not describe or update the model package (exit code 5)."""

    def __init__(self, message: str, action: str = "") -> None:
        super().__init__(message)
        self.action = action  # e.g. "sagemaker:UpdateModelPackage on <arn>"


class SageMakerClient(Protocol):
    def describe_model_package(self, **kwargs: Any) -> Any: ...
    def update_model_package(self, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class StageMarks:
    verified_at: str | None = None
    live: bool = False
    rolled_back_at: str | None = None


def _allowed(text: str) -> bool:
    return all(ch in _EXTRA_CHARS or unicodedata.category(ch)[0] in "LZN" for ch in text)


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise RegistryMarksInputError(f"metadata key {key!r} must be 1-{MAX_KEY_LENGTH} characters")
    if not _allowed(key):
        raise RegistryMarksInputError(f"metadata key {key!r} may hold only letters, digits, spaces and _.:/=+-@")
    return key


def validate_value(key: str, value: str) -> str:
    if not 1 <= len(value) <= MAX_VALUE_LENGTH:
        raise RegistryMarksInputError(f"metadata value of {key!r} must be 1-{MAX_VALUE_LENGTH} characters")
    if not _allowed(value):
        raise RegistryMarksInputError(
            f"metadata value {value!r} of {key!r} may hold only letters, digits, spaces and _.:/=+-@"
        )
    return value


def mark_key(kind: str, stage: str) -> str:
    if kind not in KINDS:
        raise RegistryMarksInputError(f"unknown mark kind {kind!r}: expected one of {', '.join(KINDS)}")
    if not _STAGE_RE.match(stage):
        raise RegistryMarksInputError(f"invalid stage {stage!r}: expected ^[a-z0-9-]{{1,20}}$")
    return validate_key(f"{PREFIX}{kind}:{stage}")


def read_marks(metadata: Mapping[str, str] | None) -> dict[str, StageMarks]:
    """Turn a package's CustomerMetadataProperties into {stage: marks}; other keys are ignored."""
    found: dict[str, dict[str, Any]] = {}
    for key, value in (metadata or {}).items():
        if not key.startswith(PREFIX):
            continue
        kind, _, stage = key[len(PREFIX) :].partition(":")
        if kind not in KINDS or not _STAGE_RE.match(stage):
            continue
        marks = found.setdefault(stage, {})
        if kind == VERIFIED:
            marks["verified_at"] = value
        elif kind == LIVE:
            marks["live"] = value.lower() == "true"
        else:
            marks["rolled_back_at"] = value
    return {stage: StageMarks(**marks) for stage, marks in sorted(found.items())}


class RegistryMarks:
    """Marks on model packages, through a sagemaker client that reaches the registry account."""

    def __init__(self, client: SageMakerClient) -> None:
        self.client = client

    def _call(self, action: str, arn: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", ""), error.get("Message", "")
            if is_access_denied(exc):
                raise RegistryAccessDenied(
                    f"access denied: sagemaker:{action} on {arn}: {message}", action=f"sagemaker:{action} on {arn}"
                ) from exc
            raise RegistryMarksError(f"sagemaker:{action} on {arn} failed: {code}: {message}") from exc

    def metadata(self, model_package_arn: str) -> dict[str, str]:
        response = self._call(
            "DescribeModelPackage",
            model_package_arn,
            self.client.describe_model_package,
            ModelPackageName=model_package_arn,
        )
        return dict(response.get("CustomerMetadataProperties") or {})

    def marks(self, model_package_arn: str) -> dict[str, StageMarks]:
        return read_marks(self.metadata(model_package_arn))

    def update(
        self, model_package_arn: str, *, set_keys: Mapping[str, str] | None = None, remove: Iterable[str] = ()
    ) -> bool:
        """Merge `set_keys` and drop `remove`. Returns False (and sends nothing) when nothing would change."""
        to_set = {validate_key(k): validate_value(k, v) for k, v in (set_keys or {}).items()}
        to_remove = sorted({validate_key(k) for k in remove})
        if overlap := set(to_set) & set(to_remove):
            raise RegistryMarksInputError(f"metadata keys both set and removed: {', '.join(sorted(overlap))}")
        current = self.metadata(model_package_arn)
        to_set = {k: v for k, v in to_set.items() if current.get(k) != v}
        to_remove = [k for k in to_remove if k in current]
        if not to_set and not to_remove:
            return False
        after = (set(current) | set(to_set)) - set(to_remove)
        if len(after) > MAX_ENTRIES:
            raise RegistryMarksError(
                f"{model_package_arn} would carry {len(after)} metadata entries; SageMaker allows {MAX_ENTRIES}"
            )
        kwargs: dict[str, Any] = {"ModelPackageArn": model_package_arn}
        if to_set:
            kwargs["CustomerMetadataProperties"] = to_set
        if to_remove:
            kwargs["CustomerMetadataPropertiesToRemove"] = to_remove
        self._call("UpdateModelPackage", model_package_arn, self.client.update_model_package, **kwargs)
        log.info(
            "registry: %s metadata set %s removed %s",
            model_package_arn,
            ", ".join(sorted(to_set)) or "-",
            ", ".join(to_remove) or "-",
        )
        return True

    def mark_verified(self, model_package_arn: str, stage: str, at: str) -> bool:
        """Mirror the ledger's verified mark. The first verification time is kept, so repeats are no-ops."""
        key = mark_key(VERIFIED, stage)
        if key in self.metadata(model_package_arn):
            return False
        return self.update(model_package_arn, set_keys={key: at})

    def mark_rolled_back(self, model_package_arn: str, stage: str, at: str) -> bool:
        return self.update(model_package_arn, set_keys={mark_key(ROLLED_BACK, stage): at})

    def set_live(self, model_package_arn: str, stage: str, live: bool = True) -> bool:
        key = mark_key(LIVE, stage)
        if live:
            return self.update(model_package_arn, set_keys={key: "true"})
        return self.update(model_package_arn, remove=[key])

    def move_live(self, stage: str, new_arn: str, previous_arn: str | None) -> None:
        """After a rollout or rollback: mark the new package live on `stage` first, then unmark the previous one.

        In that order a failure in between leaves two packages marked live, never none; the repeat fixes it.
        """
        self.set_live(new_arn, stage, True)
        if previous_arn and previous_arn != new_arn:
            self.set_live(previous_arn, stage, False)
