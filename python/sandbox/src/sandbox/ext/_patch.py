"""The one way extensions patch moto: every target is checked against the installed moto and recorded.

A moto upgrade that renames, removes or implements something an extension patches then stops the sandbox at
start with the target and moto's version, instead of leaving a patch that silently never runs. Request
parameters are read through `param`, so moto's private `_get_param` is named in one place.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import moto
from moto.core.responses import BaseResponse

log = logging.getLogger(__name__)

Owner = type[Any] | ModuleType
Kind = Literal["replace", "wrap", "add"]


class PatchError(RuntimeError):
    """A patch that does not fit the installed moto."""


@dataclass(frozen=True)
class Patch:
    owner: Owner
    name: str
    kind: Kind
    installed: object

    @property
    def target(self) -> str:
        return f"{label(self.owner)}.{self.name}"


_MISSING = object()

# Every patch applied in this process, in order (a target patched twice appears twice; the last one is live).
PATCHES: list[Patch] = []


def label(owner: Owner) -> str:
    if isinstance(owner, ModuleType):
        return owner.__name__
    return f"{owner.__module__}.{owner.__qualname__}"


def _error(owner: Owner, name: str, problem: str) -> PatchError:
    return PatchError(
        f"sandbox extension cannot patch {label(owner)}.{name}: {problem} in moto {moto.__version__} "
        "(the extension must be updated for this moto version)"
    )


def _static(owner: Owner, name: str) -> object:
    try:
        return inspect.getattr_static(owner, name)
    except AttributeError:
        raise _error(owner, name, "no such attribute") from None


def _shape(value: object) -> str:
    if isinstance(value, property):
        return "property"
    if isinstance(value, staticmethod | classmethod) or callable(value):
        return "callable"
    return "value"


def _install(owner: Owner, name: str, kind: Kind, new: object) -> None:
    setattr(owner, name, new)
    PATCHES.append(Patch(owner, name, kind, new))
    log.debug("patched %s.%s (%s)", label(owner), name, kind)


def current(owner: Owner, name: str) -> Any:
    """moto's attribute as it is now (it must exist): what a replacement delegates to."""
    _static(owner, name)
    return getattr(owner, name)


def replace(owner: Owner, name: str, new: object) -> None:
    """Replace an attribute moto defines with one of the same shape (method, property or plain value)."""
    old = _static(owner, name)
    if _shape(old) != _shape(new):
        raise _error(owner, name, f"moto's is a {_shape(old)}, the patch a {_shape(new)}")
    _install(owner, name, "replace", new)


def wrap(owner: Owner, name: str, wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Replace moto's method with `wrapper(method)`, so the wrapper can call through to moto (or an earlier wrap)."""
    original = current(owner, name)
    if not callable(original) or isinstance(_static(owner, name), property):
        raise _error(owner, name, "not a method")
    _install(owner, name, "wrap", wrapper(original))


def add(owner: Owner, name: str, new: object) -> None:
    """Add what moto lacks; if moto now has it, the sandbox's version must be reconsidered, not shadow it."""
    existing = inspect.getattr_static(owner, name, _MISSING)
    ours = any(p.owner is owner and p.name == name and p.installed is existing for p in PATCHES)
    if existing is not _MISSING and not ours:
        raise _error(owner, name, "moto now defines it (drop the sandbox's version, or replace() it)")
    _install(owner, name, "add", new)


def stale() -> list[str]:
    """Targets whose last patch is no longer what the target holds (something re-patched it outside this door)."""
    last = {(id(p.owner), p.name): p for p in PATCHES}
    return [p.target for p in last.values() if inspect.getattr_static(p.owner, p.name, None) is not p.installed]


_static(BaseResponse, "_get_param")


def param(response: BaseResponse, name: str) -> Any:
    """A request parameter as moto parsed it (JSON body, query string or form), or None."""
    return response._get_param(name)
