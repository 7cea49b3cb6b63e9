"""DynamoDB item values go out as they are, not through moto's generic serializer.

moto answers DynamoDB calls with items already in the wire form (`{"S": "x"}`, `{"M": {...}}`), then runs
them through its shape-driven serializer, which for every attribute value looks up each of the 10 members of
`AttributeValue` through a chain of alias providers. A Query of 14 ledger items took milliseconds of it, the
largest part of the sandbox's time in `deployer status` over 150 stages.

An `AttributeValue` of the DynamoDB service whose value is a plain wire-form dict (exactly one of `S`, `N`,
`BOOL`, `NULL`, `SS`, `NS`, `M`, `L`, with the Python types the serializer would pass through unchanged, nested
values checked the same way) is written as it is: the serializer would produce exactly that dict. Anything else
(binary `B`/`BS`, which the serializer base64-encodes, or a value of another type) goes through moto's
serializer as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.serialize import BaseJSONSerializer

from sandbox.ext import _patch


def plain(value: Any) -> bool:
    """True when `value` is an AttributeValue in wire form that moto's serializer would copy unchanged."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in ("S", "N"):
        return isinstance(inner, str)
    if kind in ("BOOL", "NULL"):
        return isinstance(inner, bool)
    if kind in ("SS", "NS"):
        return isinstance(inner, list) and all(isinstance(x, str) for x in inner)
    if kind == "M":
        return isinstance(inner, dict) and all(isinstance(k, str) and plain(v) for k, v in inner.items())
    if kind == "L":
        return isinstance(inner, list) and all(plain(v) for v in inner)
    return False


def _wrap_structure(original: Callable[..., Any]) -> Callable[..., Any]:
    def _serialize_type_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and self.service_model.service_name == "dynamodb" and plain(value):
            self._default_serialize(serialized, value, shape, key)
            return
        original(self, serialized, value, shape, key)

    return _serialize_type_structure


def apply() -> None:
    _patch.wrap(BaseJSONSerializer, "_serialize_type_structure", _wrap_structure)
