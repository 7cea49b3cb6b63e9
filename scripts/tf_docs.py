"""Inputs and outputs tables of every module's README, generated from its .tf files.

terraform-docs itself does not install from the registries this project's machines reach, so this
renders the same section between terraform-docs' markers. `--check` (run by `make lint`) fails,
naming the README, when a table is stale: change a variable, run `make docs`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _unquote(value: Any) -> Any:
    if isinstance(value, str):
        text = value[2:-1] if value.startswith("${") and value.endswith("}") else value
        return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def _blocks(module: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for tf in sorted(module.glob("*.tf")):
        with tf.open() as handle:
            parsed = hcl2.load(handle)
        for block in parsed.get(kind, []):
            for name, body in block.items():
                found.append((_unquote(name), _unquote(body)))
    return sorted(found)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return f"`{_cell(text)}`"


def render(module: Path) -> str:
    lines = [BEGIN, "## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:-:|"]
    for name, body in _blocks(module, "variable"):
        required = "default" not in body
        default = "n/a" if required else f"`{_cell(json.dumps(body['default'], sort_keys=True))}`"
        row = [f"`{name}`", _cell(body.get("description", "")), _code(body.get("type", "any")), default]
        lines.append("| " + " | ".join([*row, "yes" if required else "no"]) + " |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    for name, body in _blocks(module, "output"):
        lines.append(f"| `{name}` | {_cell(body.get('description', ''))} |")
    lines.append(END)
    return "\n".join(lines)


def updated(readme: Path, section: str) -> str:
    text = readme.read_text() if readme.exists() else f"# {readme.parent.name}\n\n{BEGIN}\n{END}\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme}: no {BEGIN} ... {END} markers; add them where the tables belong")
    return pattern.sub(lambda _: section, text, count=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a README is stale; write nothing")
    args = parser.parse_args(argv)
    stale = []
    for module in sorted(p for p in (REPO / "modules").iterdir() if p.is_dir()):
        readme = module / "README.md"
        text = updated(readme, render(module))
        if readme.exists() and readme.read_text() == text:
            continue
        if args.check:
            stale.append(str(readme.relative_to(REPO)))
        else:
            readme.write_text(text)
            print(f"wrote {readme.relative_to(REPO)}")
    if stale:
        print("stale module docs (run `make docs`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
