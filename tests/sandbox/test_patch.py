"""Patches of moto go through sandbox.ext._patch: a target that does not fit the installed moto stops the start."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import moto
import pytest

from sandbox.ext import _patch


class _Target:
    value = 1

    def method(self) -> str:
        return "moto"

    @property
    def shape(self) -> str:
        return "property"


@pytest.fixture
def target() -> Iterator[type[_Target]]:
    # A fresh subclass per test, so patches never leak between tests; the registry is restored after.
    saved = list(_patch.PATCHES)
    yield type("Target", (_Target,), {"__module__": __name__})
    _patch.PATCHES[:] = saved


def test_replace_refuses_a_missing_target_naming_it_and_moto_version(target: type[_Target]) -> None:
    with pytest.raises(_patch.PatchError) as err:
        _patch.replace(target, "renamed_in_moto", lambda self: None)
    message = str(err.value)
    assert f"{__name__}.Target.renamed_in_moto" in message
    assert "no such attribute" in message
    assert moto.__version__ in message


def test_wrap_and_current_refuse_a_missing_target(target: type[_Target]) -> None:
    with pytest.raises(_patch.PatchError, match="no such attribute"):
        _patch.wrap(target, "gone", lambda original: original)
    with pytest.raises(_patch.PatchError, match="no such attribute"):
        _patch.current(target, "gone")


def test_replace_refuses_a_change_of_shape(target: type[_Target]) -> None:
    with pytest.raises(_patch.PatchError, match="moto's is a property, the patch a callable"):
        _patch.replace(target, "shape", lambda self: "method")
    with pytest.raises(_patch.PatchError, match="moto's is a callable, the patch a property"):
        _patch.replace(target, "method", property(lambda self: "p"))


def test_add_refuses_what_moto_already_defines_but_may_repeat_its_own(target: type[_Target]) -> None:
    with pytest.raises(_patch.PatchError, match="moto now defines it"):
        _patch.add(target, "method", lambda self: "sandbox")

    def extra(self: Any) -> str:
        return "sandbox"

    _patch.add(target, "extra", extra)
    _patch.add(target, "extra", extra)  # applying twice in one process re-adds its own
    assert target.__dict__["extra"] is extra


def test_wrap_calls_through_and_every_patch_is_recorded(target: type[_Target]) -> None:
    def loud(original: Any) -> Any:
        def method(self: Any) -> str:
            return str(original(self)).upper()

        return method

    _patch.wrap(target, "method", loud)
    _patch.replace(target, "value", 2)
    assert target().method() == "MOTO"
    assert target.value == 2
    assert [(p.name, p.kind) for p in _patch.PATCHES[-2:]] == [("method", "wrap"), ("value", "replace")]
    assert _patch.stale() == []


_LOAD = """
import json
from sandbox.server import build_app
from sandbox.ext import _patch
build_app()
print(json.dumps({
    "patches": [{"target": p.target, "kind": p.kind, "module": _patch.label(p.owner)} for p in _patch.PATCHES],
    "stale": _patch.stale(),
}))
"""


def test_every_patch_of_the_loaded_sandbox_targets_installed_moto() -> None:
    # In a child process, so this test process's moto stays unpatched.
    result = subprocess.run(
        [sys.executable, "-c", _LOAD], capture_output=True, text=True, check=True, env=dict(os.environ), timeout=120
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    patches = loaded["patches"]
    assert len(patches) > 20
    assert {p["kind"] for p in patches} == {"add", "replace", "wrap"}
    assert all(p["module"].startswith("moto.") for p in patches), patches
    assert loaded["stale"] == []
    # The same targets resolve in this process's moto (every replaced or wrapped one exists unpatched).
    for patch in patches:
        if patch["kind"] == "add":
            continue
        owner, name = _resolve(patch["module"]), patch["target"].rsplit(".", 1)[-1]
        assert hasattr(owner, name), patch["target"]


def _resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise AssertionError(f"cannot import {dotted}")
