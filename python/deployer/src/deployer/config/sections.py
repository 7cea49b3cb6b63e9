"""Validators of the stage's identity and its accounts: top-level keys, registry, ledger, promotion, target.

Each reads one section of the raw document through a Checker and returns that section's settings.
"""

from __future__ import annotations

import logging
from typing import Any

from deployer.config.checker import Checker, shown
from deployer.config.patterns import (
    ACCOUNT,
    BUS_ARN,
    GROUP_ARN,
    MODEL,
    PLATFORM,
    PROJECT,
    REGION,
    SM_NAME,
    STAGE,
    TABLE,
)
from deployer.config.settings import (
    SCHEMA_VERSION,
    LedgerSettings,
    PromotionSettings,
    RegistrySettings,
    StageSettings,
    TargetSettings,
)

log = logging.getLogger(__name__)

REGION_ALLOWED = "an AWS region such as us-east-1"
BUS_ALLOWED = 'an event bus ARN or ""'
# The next stage's bus moved from `ledger` to `promotion`; the old key is still read.
BUS_KEY = "next_stage_event_bus_arn"


def stage_settings(data: dict[str, Any], c: Checker, stage: str) -> StageSettings:
    version = data.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:  # true and 1.0 equal 1 in Python: not here
        found = "missing" if "schema_version" not in data else shown(version)
        c.add("schema_version", found, str(SCHEMA_VERSION))
    project, model = _project_and_model(data, c)
    platform = ""
    if "platform" in data:  # informational: the shared installation's name
        platform = c.string(data, "platform", PLATFORM, f'{PLATFORM.pattern} or ""', empty_ok=True)
    stage_name = c.string(data, "stage", STAGE, STAGE.pattern)
    if stage_name and stage_name != stage:
        c.add("stage", f"{stage_name!r} does not match the requested stage", repr(stage))
    stage_or_empty = f'{STAGE.pattern} or ""'
    previous_stage = c.string(data, "previous_stage", STAGE, stage_or_empty, empty_ok=True)
    next_stage = c.string(data, "next_stage", STAGE, stage_or_empty, empty_ok=True)
    requires_approval = c.boolean(data, "requires_approval")
    return StageSettings(project, stage_name, previous_stage, next_stage, requires_approval, model, platform)


def _project_and_model(data: dict[str, Any], c: Checker) -> tuple[str, str]:
    """`model` (the platform's model this stage deploys) and `project` (kept for the single-model layout).

    Either may be absent, not both: an old config has only `project`, which is then the model; a config with
    only `model` takes it as its project too.
    """
    if "model" not in data and "project" not in data:
        c.add("model", "missing (and no project)", f"{MODEL.pattern}; an old config may give project instead")
        return "", ""
    model = c.string(data, "model", MODEL, MODEL.pattern) if "model" in data else ""
    project = c.string(data, "project", PROJECT, PROJECT.pattern) if "project" in data else ""
    return project or model, model or project


def registry_settings(data: dict[str, Any], c: Checker) -> RegistrySettings:
    reg = c.section(data, "registry", ("model_package_group", "account_id", "region", "role_arn"))
    if reg is None:
        return RegistrySettings("", "", "", "")
    account = c.string(reg, "registry.account_id", ACCOUNT, "12 digits")
    region = c.string(reg, "registry.region", REGION, REGION_ALLOWED)
    path = "registry.model_package_group"
    group = c.string(reg, path, None, "a model package group name or arn:aws:sagemaker:...:model-package-group/<name>")
    match = GROUP_ARN.match(group)
    if group and not match and not SM_NAME.match(group):
        c.add(path, f"{group!r} is invalid", "a group name (1-63 of a-z A-Z 0-9 -) or its ARN")
    elif match and account and region and (match.group(2), match.group(1)) != (account, region):
        found = f"ARN is in {match.group(2)}/{match.group(1)}, not registry.account_id/region"
        c.add(path, found, f"an ARN in {account}/{region}")
    role = c.role(reg, "registry.role_arn", account, empty_ok=True)
    return RegistrySettings(group, account, region, role)


def ledger_settings(data: dict[str, Any], c: Checker) -> LedgerSettings:
    led = c.section(data, "ledger", ("table_name",), tolerated=(BUS_KEY,))
    if led is None:
        return LedgerSettings("")
    return LedgerSettings(c.string(led, "ledger.table_name", TABLE, "3-255 of a-z A-Z 0-9 _ . -"))


def promotion_settings(data: dict[str, Any], c: Checker) -> PromotionSettings:
    """`promotion.next_stage_event_bus_arn`, or the deprecated `ledger.next_stage_event_bus_arn` without it."""
    ledger = data.get("ledger")
    legacy = ledger if isinstance(ledger, dict) and BUS_KEY in ledger else None
    if legacy is not None:
        log.warning("%s: ledger.%s is deprecated: move it to promotion.%s", c.where, BUS_KEY, BUS_KEY)
        if "promotion" not in data:
            return PromotionSettings(c.string(legacy, f"ledger.{BUS_KEY}", BUS_ARN, BUS_ALLOWED, empty_ok=True))
    prom = c.section(data, "promotion", (BUS_KEY,))
    if prom is None:
        return PromotionSettings("")
    bus = c.string(prom, f"promotion.{BUS_KEY}", BUS_ARN, BUS_ALLOWED, empty_ok=True)
    if legacy is not None and BUS_KEY in prom and legacy[BUS_KEY] != prom[BUS_KEY]:
        c.add(f"ledger.{BUS_KEY}", f"differs from promotion.{BUS_KEY}", f"only promotion.{BUS_KEY} (the key moved)")
    return PromotionSettings(bus)


def target_settings(data: dict[str, Any], c: Checker) -> TargetSettings:
    tgt = c.section(data, "target", ("account_id", "region", "role_arn"))
    if tgt is None:
        return TargetSettings("", "", "")
    account = c.string(tgt, "target.account_id", ACCOUNT, "12 digits")
    region = c.string(tgt, "target.region", REGION, REGION_ALLOWED)
    return TargetSettings(account, region, c.role(tgt, "target.role_arn", account, empty_ok=True))
