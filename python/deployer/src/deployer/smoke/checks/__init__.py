"""The registry of smoke check kinds, keyed by their `expect.<key>`.

Adding a kind: write one module here with a `Check` subclass (its `key`, `parse`, and the hooks it needs),
then add the class to `CHECK_KINDS`. Order matters: checks parse and run in this order, and a case reports
its first failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from deployer.smoke.checks.answers import AnswersCheck
from deployer.smoke.checks.base import Check
from deployer.smoke.checks.latency import LatencyCheck
from deployer.smoke.checks.rows import RowsCheck
from deployer.smoke.checks.schema import SchemaCheck
from deployer.smoke.checks.values import ValuesCheck

CHECK_KINDS: Mapping[str, type[Check]] = MappingProxyType(
    {kind.key: kind for kind in (SchemaCheck, RowsCheck, ValuesCheck, AnswersCheck, LatencyCheck)}
)

__all__ = ["CHECK_KINDS", "AnswersCheck", "Check", "LatencyCheck", "RowsCheck", "SchemaCheck", "ValuesCheck"]
