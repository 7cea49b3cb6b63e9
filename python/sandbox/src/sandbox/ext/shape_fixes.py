"""Answers reshaped to botocore's output model where moto's differ (found by tests/sandbox/test_contract.py).

Each fix post-processes one moto response method's JSON, so it holds whatever earlier extensions answer:
- DescribeModelPackage: `ModelPackageName` is required (AWS gives a versioned package its group's name), and
  the status entries' `Name` (1-63 characters) names the package, not its ARN.
- DescribeModelPackageGroup: `CreatedBy` is required (a UserContext; moto omits it).
- DescribeEndpoint: `DataCaptureConfig.KmsKeyId` is required; without a key it is empty (the model allows it).
- Events ListRules: a `Rule` has no `CreatedBy` (only DescribeRule has).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.events.responses import EventsHandler
from moto.sagemaker.responses import SageMakerResponse

from sandbox.ext import _patch

log = logging.getLogger(__name__)

Fix = Callable[[dict[str, Any]], None]


def reshaping(fix: Fix) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A `_patch.wrap` wrapper applying `fix` to the object a response method answers (ActionResult, str, tuple)."""

    def wrapper(method: Callable[..., Any]) -> Callable[..., Any]:
        def reshaped(self: Any, *args: Any, **kwargs: Any) -> Any:
            answer = method(self, *args, **kwargs)
            if type(answer) is ActionResult and isinstance(answer.result, dict):
                fixed = copy.deepcopy(answer.result)  # nested parts may be moto's stored objects
                fix(fixed)
                return ActionResult(fixed)
            if isinstance(answer, str):
                return _apply(fix, answer)
            if isinstance(answer, tuple) and answer and isinstance(answer[-1], str):
                return (*answer[:-1], _apply(fix, answer[-1]))
            if isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], str):
                return (_apply(fix, answer[0]), answer[1])
            return answer

        return reshaped

    return wrapper


def _apply(fix: Fix, body: str) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        return body
    if not isinstance(value, dict):
        return body
    fix(value)
    return json.dumps(value)


def model_package(answer: dict[str, Any]) -> None:
    name = answer.get("ModelPackageName") or answer.get("ModelPackageGroupName")
    if name is None:
        return
    answer["ModelPackageName"] = name
    details = answer.get("ModelPackageStatusDetails") or {}
    for key in ("ValidationStatuses", "ImageScanStatuses"):
        for status in details.get(key) or []:
            status["Name"] = name


def model_package_group(answer: dict[str, Any]) -> None:
    if "ModelPackageGroupArn" in answer:
        answer.setdefault("CreatedBy", {})


def endpoint(answer: dict[str, Any]) -> None:
    capture = answer.get("DataCaptureConfig")
    if isinstance(capture, dict):
        capture.setdefault("KmsKeyId", "")


def rules(answer: dict[str, Any]) -> None:
    for rule in answer.get("Rules") or []:
        rule.pop("CreatedBy", None)


def apply() -> None:
    for owner, method, fix in (
        (SageMakerResponse, "describe_model_package", model_package),
        (SageMakerResponse, "describe_model_package_group", model_package_group),
        (SageMakerResponse, "describe_endpoint", endpoint),
        (EventsHandler, "list_rules", rules),
    ):
        _patch.wrap(owner, method, reshaping(fix))
