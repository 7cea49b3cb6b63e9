"""ListModels as SageMaker answers it: `NameContains`, `CreationTimeBefore`/`CreationTimeAfter`, `SortBy`
(`Name` | `CreationTime`, default `CreationTime`), `SortOrder` (default `Descending`), `MaxResults` (1-100,
default 10) and `NextToken` paging, each model as a `ModelSummary` (`ModelName`, `ModelArn`, `CreationTime`).

moto answered every model of the account whatever the request asked for, in the full DescribeModel shape, so a
caller that relies on `NameContains` (the deployer's cleanup, the bench) saw other endpoints' models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from sandbox.ext import _patch

DEFAULT_MAX_RESULTS = 10
SORT_BY = ("Name", "CreationTime")
SORT_ORDER = ("Ascending", "Descending")


def _when(value: Any) -> datetime | None:
    """A request timestamp (epoch seconds, as botocore sends them in JSON, or ISO text) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _invalid(name: str, value: Any, allowed: tuple[str, ...]) -> ValidationError:
    return ValidationError(
        message=f"1 validation error detected: Value '{value}' at '{name[0].lower() + name[1:]}' failed to "
        f"satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def list_models(self: Any) -> ActionResult:
    sort_by = _patch.param(self, "SortBy") or "CreationTime"
    sort_order = _patch.param(self, "SortOrder") or "Descending"
    if sort_by not in SORT_BY:
        raise _invalid("SortBy", sort_by, SORT_BY)
    if sort_order not in SORT_ORDER:
        raise _invalid("SortOrder", sort_order, SORT_ORDER)
    limit = int(_patch.param(self, "MaxResults") or DEFAULT_MAX_RESULTS)
    if not 1 <= limit <= 100:
        raise ValidationError(
            message=f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    contains = _patch.param(self, "NameContains") or ""
    before, after = _when(_patch.param(self, "CreationTimeBefore")), _when(_patch.param(self, "CreationTimeAfter"))
    models = [m for m in self.sagemaker_backend.list_models() if contains in m.model_name]
    if before is not None:
        models = [m for m in models if _aware(m.creation_time) < before]
    if after is not None:
        models = [m for m in models if _aware(m.creation_time) > after]
    if sort_by == "Name":
        models.sort(key=lambda m: m.model_name, reverse=sort_order == "Descending")
    else:
        models.sort(key=lambda m: (_aware(m.creation_time), m.model_name), reverse=sort_order == "Descending")
    token = _patch.param(self, "NextToken") or "0"
    if not str(token).isdigit():
        raise ValidationError(message="Invalid pagination token because of invalid or expired NextToken.")
    start = int(token)
    page = models[start : start + limit]
    answer: dict[str, Any] = {
        "Models": [{"ModelName": m.model_name, "ModelArn": m.arn, "CreationTime": m.creation_time} for m in page]
    }
    if start + limit < len(models):
        answer["NextToken"] = str(start + limit)
    return ActionResult(answer)


def apply() -> None:
    _patch.replace(SageMakerResponse, "list_models", list_models)
