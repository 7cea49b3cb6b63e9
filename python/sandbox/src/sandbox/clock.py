"""Simulated AWS time: the sandbox shrinks every simulated wait by one time scale.

SANDBOX_TIME_SCALE is wall seconds per simulated AWS second. The default 0.01 makes a
100-second endpoint creation take one wall second and a 10-minute canary bake six.
"""

from __future__ import annotations

import os
import time

DEFAULT_TIME_SCALE = 0.01


def time_scale() -> float:
    raw = os.environ.get("SANDBOX_TIME_SCALE", "")
    try:
        value = float(raw) if raw else DEFAULT_TIME_SCALE
    except ValueError:
        value = DEFAULT_TIME_SCALE
    return value if value > 0 else DEFAULT_TIME_SCALE


def wall_now() -> float:
    return time.monotonic()


def simulated_seconds_since(wall_start: float) -> float:
    """AWS seconds that have passed since `wall_start` (a wall_now() reading)."""
    return (wall_now() - wall_start) / time_scale()
