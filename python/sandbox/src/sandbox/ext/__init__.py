"""Extensions: each submodule patches pinned moto where it lacks or differs from AWS.

A submodule defines `apply() -> None`, called once before the server app is built, and may
define `wrap(app) -> app`, a WSGI middleware. Extension state lives on moto's backend
objects (for example `backend.sandbox_deployments`), so moto's own reset wipes it. Every patch goes through
`sandbox.ext._patch`, which refuses a target the installed moto lacks (or, for additions, already has).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


# Patches apply in this order, and WSGI middlewares wrap in this order (the last is outermost): IAM
# enforcement must see every request first, before any extension answers it; wire_format only rewrites
# answers (JSON content type, no nulls), so it sits outside enforcement and fixes its denials too.
ORDER = (
    "accounts",
    "chaos",
    "cloudwatch_metrics",
    "codebuild_runs",
    "codecommit_files",
    "codeconnections",
    "codepipeline_runtime",
    "dynamodb_conditions",
    "dynamodb_items",
    "dynamodb_query",
    "events",
    "kms_cross_account",
    "sagemaker_hosting",
    "sagemaker_registry",
    "sagemaker_arns",
    "sagemaker_runtime",
    "shape_fixes",
    "tf_autoscaling",
    "tf_codebuild",
    "tf_codecommit",
    "tf_codepipeline",
    "tf_iam",
    "tf_s3",
    "tf_sagemaker",
    "tf_util",
    "iam_enforce",
    "wire_format",
)


def _modules() -> list[ModuleType]:
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    if found != set(ORDER):
        raise RuntimeError(
            f"sandbox.ext.ORDER is stale: missing {sorted(found - set(ORDER))}, gone {sorted(set(ORDER) - found)}"
        )
    return [importlib.import_module(f"{__name__}.{name}") for name in ORDER]


_applied = False


def apply_all() -> list[str]:
    """Patch moto with every extension, once per process; return their names."""
    global _applied
    modules = _modules()
    if not _applied:
        for module in modules:
            if hasattr(module, "apply"):
                module.apply()
                log.debug("applied extension %s", module.__name__)
        _applied = True
    return [m.__name__.rsplit(".", 1)[-1] for m in modules]


def wrap_all(app: WSGIApp) -> WSGIApp:
    for module in _modules():
        wrap = getattr(module, "wrap", None)
        if wrap is not None:
            app = wrap(app)
    return app
