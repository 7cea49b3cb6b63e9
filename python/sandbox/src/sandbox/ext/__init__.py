"""Extensions: each submodule patches pinned moto where it lacks or differs from AWS.

A submodule defines `apply() -> None`, called once before the server app is built, and may
define `wrap(app) -> app`, a WSGI middleware. Extension state lives on moto's backend
objects (for example `backend.sandbox_deployments`), so moto's own reset wipes it.
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


def _modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


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
