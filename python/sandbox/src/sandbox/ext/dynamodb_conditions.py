"""DynamoDB conditions that compare values of different types evaluate to false, as on AWS.

moto compared the Python values behind `<`, `<=`, `>`, `>=` and `BETWEEN` directly, so a string attribute
against a number (`expires_at < :now` where the item holds `expires_at` as S) raised TypeError: a single write
answered HTTP 500 and a transaction was cancelled with the reason `TypeError`. AWS orders only values of the
same scalar type and treats any other comparison as false, so the condition fails:
ConditionalCheckFailedException, or TransactionCanceledException with `ConditionalCheckFailed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from moto.dynamodb import comparisons
from moto.dynamodb.models.dynamo_type import Item

from sandbox.ext import _patch

log = logging.getLogger(__name__)

ORDERED_TYPES = frozenset({"N", "S", "B"})  # the only types DynamoDB orders


def _type_of(operand: Any, item: Item | None) -> str | None:
    """The DynamoDB type an operand holds for `item` (size() is a number), or None when it is absent/unknown."""
    if isinstance(operand, comparisons.FuncSize):
        return "N"
    get_type = getattr(operand, "get_type", None)
    return get_type(item) if callable(get_type) else None


def comparable(item: Item | None, *operands: Any) -> bool:
    """True when every operand present holds the same orderable type (absent operands are moto's to handle)."""
    types = {_type_of(operand, item) for operand in operands} - {None}
    return len(types) <= 1 and types <= ORDERED_TYPES


def _ordered(original: Callable[[Any, Item | None], bool]) -> Callable[[Any, Item | None], bool]:
    def expr(self: Any, item: Item | None) -> bool:
        operands = (
            (self.attr, self.start, self.end) if isinstance(self, comparisons.FuncBetween) else (self.lhs, self.rhs)
        )
        if not comparable(item, *operands):
            return False
        try:
            return original(self, item)
        except TypeError:  # an operand whose type moto cannot tell (a nested function): AWS's answer is false
            return False

    return expr


def apply() -> None:
    for op in (
        comparisons.OpLessThan,
        comparisons.OpLessThanOrEqual,
        comparisons.OpGreaterThan,
        comparisons.OpGreaterThanOrEqual,
        comparisons.FuncBetween,
    ):
        _patch.wrap(op, "expr", _ordered)
