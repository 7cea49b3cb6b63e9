"""The README's real-AWS guide as data: its marked command blocks, in order.

A block is a fenced ```sh block right after a `<!-- guide: <name> -->` line (indented blocks inside list
items too). The test runs each block verbatim with bash.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- guide: (?P<name>[a-z0-9-]+) -->[ \t]*$")
FENCE = re.compile(r"^[ \t]*```(?P<lang>\w*)[ \t]*$")


@dataclass(frozen=True)
class Step:
    name: str
    code: str
    line: int  # 1-based line of the marker in the README


class GuideError(ValueError):
    """The README's guide markers are malformed."""


def guide_steps(readme: Path) -> list[Step]:
    lines = readme.read_text(encoding="utf-8").splitlines()
    steps: list[Step] = []
    i = 0
    while i < len(lines):
        marker = MARKER.match(lines[i])
        if not marker:
            i += 1
            continue
        name, at = marker["name"], i + 1
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        fence = FENCE.match(lines[j]) if j < len(lines) else None
        if fence is None or fence["lang"] != "sh":
            raise GuideError(f"{readme}:{at}: guide step {name!r} must be followed by a ```sh block")
        end = j + 1
        while end < len(lines) and not FENCE.match(lines[end]):
            end += 1
        if end == len(lines):
            raise GuideError(f"{readme}:{at}: guide step {name!r}: unclosed ``` block")
        steps.append(Step(name, textwrap.dedent("\n".join(lines[j + 1 : end])) + "\n", at))
        i = end + 1
    names = [s.name for s in steps]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise GuideError(f"{readme}: guide steps named twice: {', '.join(duplicates)}")
    return steps
