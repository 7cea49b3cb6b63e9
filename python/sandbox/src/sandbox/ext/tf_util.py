"""Helpers shared by the tf_* extensions (no `apply`: the loader skips it)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any


def to_epoch(value: Any) -> Any:
    """An ISO-8601 text timestamp as epoch seconds (AWS JSON protocols send numbers); others unchanged."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is None:
        # moto's text timestamps are naive UTC.
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def epoch_fields(obj: Any, keys: Iterable[str]) -> Any:
    """Convert the named keys to epoch seconds wherever they occur in a JSON-like structure."""
    names = set(keys)
    if isinstance(obj, dict):
        return {k: to_epoch(v) if k in names else epoch_fields(v, names) for k, v in obj.items()}
    if isinstance(obj, list):
        return [epoch_fields(item, names) for item in obj]
    return obj


def rewrite_json_body(body: Any, keys: Iterable[str]) -> Any:
    """Re-serialize a moto JSON response body with the named timestamps as numbers."""
    if isinstance(body, tuple):
        # (status, headers, body) responses
        status, headers, text = body
        return status, headers, rewrite_json_body(text, keys)
    if not isinstance(body, str | bytes) or not body:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body
    return json.dumps(epoch_fields(data, keys))
