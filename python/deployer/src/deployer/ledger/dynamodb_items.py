"""Item layout of the DynamoDB ledger table: keys, and ledger records to and from typed attribute values.

The table is created by Terraform, once per platform and shared by all of its models (hash key `pk` S, range
key `sk` S, TTL attribute `expires_at` N). Every item also carries `kind` and `model`:

| item | pk | sk | notes |
|---|---|---|---|
| history, by stage | `MODEL#<model>#STAGE#<stage>` | `HISTORY#<at>#<event_id>` | append-only; `at`: ISO-8601 UTC, µs |
| history, by version | `MODEL#<model>#VERSION#<version>` | `HISTORY#<at>#<event_id>` | same attributes, one write |
| mark | `MODEL#<model>#STAGE#<stage>` | `MARK#<kind>#<version:010d>` | kind `verified`, `rolled_back` or `promoted` |
| lease lock | `LOCK#<endpoint>` | `LOCK` | `owner`, `build_id`, `token`, `expires_at` (epoch seconds, TTL) |

A model's partitions all start with `MODEL#<model>#`, so an IAM policy can confine a model's roles to them
(`dynamodb:LeadingKeys` `MODEL#<model>#*`; and `LOCK#<endpoint>` for each of its endpoints, whose names are
the model's own).

The single-model layout before it (`STAGE#<stage>`, `VERSION#<version>`, no `model` attribute; leases as now)
is what `deployer ledger-migrate` copies from (`legacy_pk_target`, migrate.py).
"""

from __future__ import annotations

import re
from typing import Any

from deployer.ledger.models import HistoryEntry, Lease, LedgerItemMalformed, Mark, MarkKind

Item = dict[str, Any]  # attribute name -> typed value, as the low-level client takes and returns it

HISTORY_PREFIX = "HISTORY#"
MARK_PREFIX = "MARK#"

_HISTORY_TEXT = ("deployment_id", "model_package_arn", "endpoint", "endpoint_config", "strategy")
_HISTORY_WHO = ("caller_arn", "build_id", "reason", "deployer_version")
_MARK_TEXT = ("model_package_arn", "caller_arn", "build_id", "deployment_id", "reason")


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def plain(item: Item) -> dict[str, Any]:
    """Decode the attribute types the ledger writes (S, N, M of S)."""
    out: dict[str, Any] = {}
    for key, typed in item.items():
        if "S" in typed:
            out[key] = typed["S"]
        elif "N" in typed:
            number = typed["N"]
            out[key] = int(number) if re.fullmatch(r"-?\d+", number) else float(number)
        elif "M" in typed:
            out[key] = {k: v.get("S", "") for k, v in typed["M"].items()}
    return out


# ---------------------------------------------------------------------------------------------------- keys


MODEL_PREFIX = "MODEL#"
LEGACY_STAGE_PREFIX = "STAGE#"
LEGACY_VERSION_PREFIX = "VERSION#"


def model_prefix(model: str) -> str:
    """What every partition key of the model starts with (IAM: `dynamodb:LeadingKeys` `MODEL#<model>#*`)."""
    return f"{MODEL_PREFIX}{model}#"


def stage_pk(model: str, stage: str) -> str:
    return f"{model_prefix(model)}{LEGACY_STAGE_PREFIX}{stage}"


def version_pk(model: str, version: int) -> str:
    return f"{model_prefix(model)}{LEGACY_VERSION_PREFIX}{version}"


def legacy_pk_target(model: str, pk: str) -> str | None:
    """The model's key of a single-model layout partition (`STAGE#<stage>`, `VERSION#<version>`); None for any
    other key (the model keys, and the leases, which kept their keys)."""
    if pk.startswith((LEGACY_STAGE_PREFIX, LEGACY_VERSION_PREFIX)):
        return f"{model_prefix(model)}{pk}"
    return None


def mark_prefix(kind: MarkKind | None) -> str:
    return f"{MARK_PREFIX}{kind.value}#" if kind else MARK_PREFIX


def mark_key(model: str, stage: str, version: int, kind: MarkKind) -> Item:
    # Zero-padded so that sort-key order is version order (newest first with ScanIndexForward=False).
    return {"pk": s(stage_pk(model, stage)), "sk": s(f"{mark_prefix(kind)}{version:010d}")}


LEASE_PREFIX = "LOCK#"


def lease_key(endpoint: str) -> Item:
    return {"pk": s(f"{LEASE_PREFIX}{endpoint}"), "sk": s("LOCK")}


# ---------------------------------------------------------------------------------------------------- encoding


def history_items(model: str, entry: HistoryEntry, extra_versions: tuple[int, ...] = ()) -> list[Item]:
    """The entry under its stage, under its version (if any), and under each extra version."""
    attrs: Item = {
        "kind": s("history"),
        "model": s(model),
        "stage": s(entry.stage),
        "event": s(entry.event),
        "result": s(entry.result),
        "at": s(entry.at),
        "event_id": s(entry.event_id),
    }
    for name in (*_HISTORY_TEXT, *_HISTORY_WHO):
        value = getattr(entry, name)
        if value:
            attrs[name] = s(value)
    if entry.version is not None:
        attrs["version"] = n(entry.version)
    if entry.details:
        attrs["details"] = {"M": {k: s(v) for k, v in entry.details.items()}}
    sk = s(f"{HISTORY_PREFIX}{entry.at}#{entry.event_id}")
    items = [{"pk": s(stage_pk(model, entry.stage)), "sk": sk, **attrs}]
    if entry.version is not None:
        items.append({"pk": s(version_pk(model, entry.version)), "sk": sk, **attrs})
    # Filed under another version (a rollback's "from"), the copy names that version.
    items.extend({"pk": s(version_pk(model, v)), "sk": sk, **attrs, "version": n(v)} for v in extra_versions)
    return items


def mark_item(model: str, mark: Mark) -> Item:
    kind = MarkKind(mark.kind)
    item: Item = {
        **mark_key(model, mark.stage, mark.version, kind),
        "kind": s("mark"),
        "model": s(model),
        "mark": s(kind.value),
        "stage": s(mark.stage),
        "version": n(mark.version),
        "at": s(mark.at),
    }
    for name in _MARK_TEXT:
        value = getattr(mark, name)
        if value:
            item[name] = s(value)
    return item


def lease_item(model: str, lease: Lease) -> Item:
    item: Item = {
        **lease_key(lease.endpoint),
        "kind": s("lock"),
        "model": s(model),
        "endpoint": s(lease.endpoint),
        "owner": s(lease.owner),
        "acquired_at": s(lease.acquired_at),
        "expires_at": n(lease.expires_at),
        "token": s(lease.token),
    }
    if lease.build_id:
        item["build_id"] = s(lease.build_id)
    if lease.caller_arn:
        item["caller_arn"] = s(lease.caller_arn)
    return item


# ---------------------------------------------------------------------------------------------------- decoding
# Every decoder checks the fields it relies on, so a hand-edited or foreign item is reported by its key
# instead of failing deep inside a verb (a `ValueError` from `int()`, a comparison of a string with a number).


class _Fields:
    """Reads typed fields of one decoded item, collecting what is wrong with it."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self.problems: list[str] = []

    def text(self, name: str, *, required: bool = True) -> str:
        value = self.item.get(name)
        if value is None or value == "":
            if required:
                self.problems.append(f"{name} is missing")
            return ""
        if not isinstance(value, str):
            self.problems.append(f"{name} is not a string ({value!r})")
            return ""
        return value

    def whole(self, name: str, *, required: bool = True) -> int | None:
        value = self.item.get(name)
        if value is None:
            if required:
                self.problems.append(f"{name} is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.append(f"{name} is not a whole number ({value!r})")
            return None
        return int(value)

    def described(self, what: str) -> str:
        key = f"pk={self.item.get('pk', '?')} sk={self.item.get('sk', '?')}"
        return f"malformed ledger {what} item ({key}): {'; '.join(self.problems)}"

    def check(self, what: str) -> None:
        if self.problems:
            raise LedgerItemMalformed(self.described(what))


def history_entry(item: dict[str, Any]) -> HistoryEntry:
    """Raises LedgerItemMalformed naming the item's key."""
    fields = _Fields(item)
    stage, event, result, at = (fields.text(name) for name in ("stage", "event", "result", "at"))
    version = fields.whole("version", required=False)
    details = item.get("details", {})
    if not isinstance(details, dict):
        fields.problems.append("details is not a map")
    fields.check("history")
    return HistoryEntry(
        stage=stage,
        event=event,
        result=result,
        at=at,
        event_id=str(item.get("event_id", "")),
        deployment_id=str(item.get("deployment_id", "")),
        version=version,
        model_package_arn=str(item.get("model_package_arn", "")),
        endpoint=str(item.get("endpoint", "")),
        endpoint_config=str(item.get("endpoint_config", "")),
        strategy=str(item.get("strategy", "")),
        caller_arn=str(item.get("caller_arn", "")),
        build_id=str(item.get("build_id", "")),
        reason=str(item.get("reason", "")),
        details=dict(details),
        deployer_version=str(item.get("deployer_version", "")),
    )


def mark(item: dict[str, Any]) -> Mark:
    """Raises LedgerItemMalformed naming the item's key."""
    fields = _Fields(item)
    stage, kind, at = fields.text("stage"), fields.text("mark"), fields.text("at")
    version = fields.whole("version")
    fields.check("mark")
    assert version is not None  # checked: required
    return Mark(
        stage=stage,
        version=version,
        kind=kind,
        at=at,
        model_package_arn=str(item.get("model_package_arn", "")),
        caller_arn=str(item.get("caller_arn", "")),
        build_id=str(item.get("build_id", "")),
        deployment_id=str(item.get("deployment_id", "")),
        reason=str(item.get("reason", "")),
    )


def lease(endpoint: str, item: dict[str, Any]) -> Lease:
    """A malformed lease is not an error here: it comes back with `problem` set (it holds the endpoint)."""
    fields = _Fields(item)
    owner, token = fields.text("owner"), fields.text("token")
    expires_at = fields.whole("expires_at")
    return Lease(
        endpoint=endpoint,
        owner=owner,
        build_id=str(item.get("build_id", "")),
        caller_arn=str(item.get("caller_arn", "")),
        acquired_at=str(item.get("acquired_at", "")),
        expires_at=expires_at or 0,
        token=token,
        problem=fields.described("lease") if fields.problems else "",
    )
