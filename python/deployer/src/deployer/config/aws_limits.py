"""AWS's input limits for the stage config, read from botocore's service models: the source of truth.

Ranges, tag lengths and tag characters come from the `sagemaker` and `application-autoscaling` models at
validation time (parsed once per process, with the loader the sessions share). Where a model has no bound, the
constants below say which documented limit stands in for it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import botocore.model

from deployer.sessions import shared_loader

# The models' `integer` shapes are 32-bit: the bound of a member whose model gives none (InitialInstanceCount's
# maximum, Application Auto Scaling's Min/MaxCapacity). Below it, the account's instance quota is what AWS enforces.
INT32_MAX = 2**31 - 1
QUOTA_NOTE = "the account's instance quota applies on AWS"
# Application Auto Scaling's TargetValue is a double "in the range of -2^360 to 2^360" (its API documentation;
# the model itself carries no bound). tests/deployer/test_config_limits.py checks that the text still says so.
TARGET_VALUE_MAX = 2.0**360
TARGET_VALUE_DOC = "-2^360 to 2^360"

# `[...]*` with literal characters, `\x` escapes and `\p{X}` Unicode categories: the form of botocore's TagKey.
_CLASS = re.compile(r"^\^?\(?\[(?P<body>[^\]]*)\]\*\)?\$?$")
_ITEM = re.compile(r"\\p\{(?P<category>[A-Za-z]+)\}|\\(?P<escaped>.)|(?P<literal>[^\\])")
_SERVICE_NAMES = {"sagemaker": "SageMaker", "application-autoscaling": "Application Auto Scaling"}
_CATEGORY_NAMES = {"L": "letters", "Z": "spaces", "N": "digits"}


@functools.cache
def service_model(service: str) -> botocore.model.ServiceModel:
    return botocore.model.ServiceModel(shared_loader().load_service_model(service, "service-2"), service)


@dataclass(frozen=True)
class IntLimit:
    """An integer member's range and where it comes from (for the `allowed:` part of a problem)."""

    low: int
    high: int
    source: str


def int_limit(service: str, shape: str, member: str) -> IntLimit:
    """The range of an integer member in botocore's model of `service`; a bound it leaves out is the 32-bit one."""
    metadata = service_model(service).shape_for(shape).members[member].metadata
    source = f"{_SERVICE_NAMES.get(service, service)} {shape}.{member}"
    if "max" not in metadata:
        source += " has no documented maximum beyond its 32-bit type"
    return IntLimit(int(metadata.get("min", -INT32_MAX - 1)), int(metadata.get("max", INT32_MAX)), source)


@dataclass(frozen=True)
class TextRule:
    """Length and characters of a string shape (`categories` are Unicode category prefixes such as L, N, Z)."""

    low: int
    high: int
    characters: frozenset[str]
    categories: tuple[str, ...]

    def problem(self, text: str) -> str | None:
        """What breaks the rule (its length or the first character it does not allow), or None."""
        if not self.low <= len(text) <= self.high:
            return f"has {len(text)} characters"
        bad = next((ch for ch in text if not self._char(ch)), None)
        return None if bad is None else f"has the character {bad!r}"

    def _char(self, ch: str) -> bool:
        return ch in self.characters or unicodedata.category(ch).startswith(self.categories)

    def describe(self) -> str:
        kinds = [_CATEGORY_NAMES.get(c, f"Unicode category {c}") for c in self.categories]
        return f"{self.low}-{self.high} characters of {', '.join(kinds)} and {' '.join(sorted(self.characters))}"


def text_rule(metadata: dict[str, Any]) -> TextRule:
    """The TextRule of a shape's metadata; a pattern of another form than `[...]*` is refused loudly."""
    pattern = str(metadata.get("pattern", ""))
    match = _CLASS.match(pattern)
    if match is None:
        raise ValueError(f"botocore pattern {pattern!r} is not a [...]* character class: update config/aws_limits.py")
    characters: set[str] = set()
    categories: list[str] = []
    body = match.group("body")
    for item in _ITEM.finditer(body):
        if item.group("literal") == "-" and 0 < item.start() < len(body) - 1:
            raise ValueError(f"botocore pattern {pattern!r} has a character range: update config/aws_limits.py")
        if item.group("category"):
            categories.append(item.group("category"))
        else:
            characters.add(item.group("escaped") or item.group("literal"))
    return TextRule(int(metadata.get("min", 0)), int(metadata["max"]), frozenset(characters), tuple(categories))


@functools.cache
def tag_rules() -> tuple[TextRule, TextRule, int]:
    """SageMaker's (TagKey, TagValue, most tags per resource)."""
    model = service_model("sagemaker")
    key, value = (text_rule(model.shape_for(name).metadata) for name in ("TagKey", "TagValue"))
    return key, value, int(model.shape_for("TagList").metadata["max"])
