"""CloudWatch percentiles: `ExtendedStatistics` in GetMetricStatistics and `pNN` stats in GetMetricData.

moto ignores ExtendedStatistics (the datapoints come back without them) and answers no value for a `p99`
MetricStat. AWS computes percentiles over the raw values of the period; here over the data points stored
(single values; a datum put as StatisticValues has no raw values and counts only in the plain statistics).
Nearest-rank percentiles: p99 of 1..100 is 99.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterValue
from moto.cloudwatch.models import Statistics
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

from sandbox.ext import _patch

PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?|100)$")
_PLAIN = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


def percentile(values: list[float], stat: str) -> float | None:
    """The nearest-rank percentile `stat` (`p50`, `p99.9`) of `values`, or None when there are none."""
    match = PERCENTILE.match(stat)
    if match is None or not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(float(match.group(1)) / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _get_statistics_for_type(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_statistics_for_type(self: Statistics, stat: str) -> Any:
        if PERCENTILE.match(stat):
            return percentile(self.metric_single_values_list, stat)
        return original(self, stat)

    return get_statistics_for_type


def _datapoint(stats: Statistics, wanted: list[str], extended: list[str]) -> dict[str, Any]:
    point: dict[str, Any] = {"Timestamp": stats.timestamp}
    for name in wanted:
        if name in _PLAIN:
            value = stats.get_statistics_for_type(name)
            if value is not None:
                point[name] = value
    if extended:
        values = stats.metric_single_values_list
        point["ExtendedStatistics"] = {p: v for p in extended if (v := percentile(values, p)) is not None}
    point["Unit"] = stats.unit or "None"
    return point


def _get_metric_statistics(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_metric_statistics(self: Any) -> Any:
        """moto's GetMetricStatistics plus ExtendedStatistics."""
        if not _patch.param(self, "ExtendedStatistics"):
            return original(self)
        return _with_extended(self)

    return get_metric_statistics


def _with_extended(self: Any) -> ActionResult:
    statistics = list(_patch.param(self, "Statistics") or [])
    extended = list(_patch.param(self, "ExtendedStatistics") or [])
    bad = [p for p in extended if not PERCENTILE.match(p)]
    if bad:
        raise InvalidParameterValue(f"The value {bad[0]} for parameter ExtendedStatistics is not supported.")
    points = self.cloudwatch_backend.get_metric_statistics(
        _patch.param(self, "Namespace"),
        _patch.param(self, "MetricName"),
        _patch.param(self, "StartTime"),
        _patch.param(self, "EndTime"),
        self._get_int_param("Period"),
        statistics,
        unit=_patch.param(self, "Unit"),
        dimensions=_patch.param(self, "Dimensions") or [],
    )
    datapoints = [_datapoint(s, statistics, extended) for s in points]
    return ActionResult({"Label": _patch.param(self, "MetricName"), "Datapoints": datapoints})


def apply() -> None:
    _patch.wrap(Statistics, "get_statistics_for_type", _get_statistics_for_type)
    _patch.wrap(CloudWatchResponse, "get_metric_statistics", _get_metric_statistics)
