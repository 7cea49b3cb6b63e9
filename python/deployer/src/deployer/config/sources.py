"""Reading a stage's config files: defaults, the native file and the SageMaker Projects template overlay.

Where the values come from, lowest precedence first:

1. `config/defaults.json` (optional): native keys shared by every stage.
2. `config/<stage>.json` (native keys, deep-merged over the defaults).
3. The SageMaker Projects deploy template's shape, overlaid last. It may sit in `config/<stage>.json` itself
   (a top-level `Parameters` object next to or instead of native keys) or in the template's own file
   `config/<stage>-config.json` (`staging-config.json`, `prod-config.json`), so a team's old file works unchanged:

   | template key                     | native key                         |
   |----------------------------------|------------------------------------|
   | `Parameters.EndpointInstanceType`  | `endpoint.instance_type`           |
   | `Parameters.EndpointInstanceCount` | `endpoint.instance_count`          |
   | `Parameters.SamplingPercentage`    | `data_capture.sampling_percentage` |
   | `Parameters.EnableDataCapture`     | `data_capture.enabled`             |
   | `Parameters.StageName`             | must equal the stage               |
   | `Tags` (`{"k": "v"}` or `[{"Key", "Value"}]`) | merged into `tags`      |

   Template values are strings in CloudFormation files ("2", "true"); they are converted. Other `Parameters`
   (SageMakerProjectName, ModelExecutionRoleArn, ...) are ignored with a warning: Terraform owns them here.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import re
from pathlib import Path
from typing import Any

from deployer.config.patterns import STAGE

log = logging.getLogger(__name__)

DEFAULTS_FILE = "defaults.json"
TEMPLATE_SUFFIX = "-config.json"

TEMPLATE_PARAMETERS = {
    "EndpointInstanceType": ("endpoint", "instance_type"),
    "EndpointInstanceCount": ("endpoint", "instance_count"),
    "SamplingPercentage": ("data_capture", "sampling_percentage"),
    "EnableDataCapture": ("data_capture", "enabled"),
}
# Parameters of the SageMaker Projects template that this deployer gets from Terraform instead.
IGNORED_TEMPLATE_PARAMETERS = frozenset(
    {
        "StageName",
        "SageMakerProjectName",
        "SageMakerProjectId",
        "ModelExecutionRoleArn",
        "ModelPackageName",
        "ModelPackageGroupName",
        "DataCaptureUploadPath",
    }
)


def _read_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: (file): cannot read: {exc} (allowed: a readable UTF-8 JSON file)")
        return None
    except json.JSONDecodeError as exc:
        problems.append(
            f"{path}: (file): invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg} (allowed: JSON)"
        )
        return None
    except ValueError as exc:  # an integer literal longer than Python's int digit limit
        problems.append(f"{path}: (file): {exc} (allowed: JSON with numbers of at most 4300 digits)")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: (file): top level is {type(data).__name__} (allowed: a JSON object)")
        return None
    return data


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _template_scalar(value: Any, kind: str) -> Any:
    """CloudFormation template configuration files carry strings; turn "2"/"true" into 2/True."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if kind == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind == "int" and re.fullmatch(r"-?[0-9]+", text):  # ASCII only: \d would take any script's digits
        with contextlib.suppress(ValueError):  # longer than Python's int digit limit: left a string, refused
            return int(text)
    return value


def _tags_from_template(tags: Any, where: str, problems: list[str]) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): v for k, v in tags.items()}
    if isinstance(tags, list):
        result: dict[str, str] = {}
        for index, item in enumerate(tags):
            if isinstance(item, dict) and isinstance(item.get("Key"), str) and "Value" in item:
                result[item["Key"]] = item["Value"]
            else:
                problems.append(f'{where}: Tags[{index}]: not a Key/Value pair (allowed: {{"Key": k, "Value": v}})')
        return result
    problems.append(f"{where}: Tags: is {type(tags).__name__} (allowed: object of strings or list of Key/Value)")
    return {}


def overlay_template(
    data: dict[str, Any], template: dict[str, Any], where: str, stage: str, problems: list[str]
) -> None:
    """Apply the SageMaker Projects template keys (`Parameters`, `Tags`) from `template` onto `data` in place."""
    params = template.get("Parameters", {})
    if not isinstance(params, dict):
        problems.append(f"{where}: Parameters: is {type(params).__name__} (allowed: a JSON object)")
        params = {}
    kinds = {"EndpointInstanceCount": "int", "SamplingPercentage": "int", "EnableDataCapture": "bool"}
    for key, value in params.items():
        if key in TEMPLATE_PARAMETERS:
            section, name = TEMPLATE_PARAMETERS[key]
            target = data.setdefault(section, {})
            if isinstance(target, dict):
                target[name] = _template_scalar(value, kinds.get(key, "str"))
        elif key == "StageName":
            if value != stage:
                problems.append(
                    f"{where}: Parameters.StageName: {value!r} does not match the stage (allowed: {stage!r})"
                )
        elif key in IGNORED_TEMPLATE_PARAMETERS:
            log.warning("%s: Parameters.%s is ignored: Terraform provides it through the native keys", where, key)
        else:
            log.warning("%s: Parameters.%s is not a known template parameter; ignored", where, key)
    if "Tags" in template:
        tags = data.get("tags") if isinstance(data.get("tags"), dict) else {}
        data["tags"] = {**(tags or {}), **_tags_from_template(template["Tags"], where, problems)}


def load_raw(config_dir: Path, stage: str, *, required: bool = True) -> tuple[dict[str, Any], str, list[str]]:
    """Return the merged document, a description of its source files, and read problems.

    `required=False` (a platform config supplies the rest) lets the stage have no file of its own.
    """
    problems: list[str] = []
    defaults_path = config_dir / DEFAULTS_FILE
    native_path = config_dir / f"{stage}.json"
    template_path = config_dir / f"{stage}{TEMPLATE_SUFFIX}"
    defaults = _read_json(defaults_path, problems) or {}
    native = _read_json(native_path, problems)
    template = _read_json(template_path, problems)
    if native is None and template is None and not problems and required:
        problems.append(
            f"{native_path}: (file): not found (allowed: {native_path.name} or {template_path.name} in {config_dir})"
        )
    sources = [str(p) for p, d in ((native_path, native), (template_path, template)) if d is not None]
    where = " + ".join(sources) or str(native_path)
    data = deep_merge(defaults, {k: v for k, v in (native or {}).items() if k not in ("Parameters", "Tags")})
    for src_path, doc in ((native_path, native), (template_path, template)):
        if doc and ("Parameters" in doc or "Tags" in doc):
            overlay_template(data, doc, str(src_path), stage, problems)
    if template is not None:
        extra = sorted(set(template) - {"Parameters", "Tags", "StackPolicy"})
        for key in extra:
            problems.append(f"{template_path}: {key}: unknown key in a template file (allowed: Parameters, Tags)")
    return data, where, problems


def discover_stages(config_dir: str | Path) -> list[str]:
    """Stage names that have a config file in `config_dir` (native or template), sorted."""
    names: set[str] = set()
    for path in Path(config_dir).glob("*.json"):
        if path.name == DEFAULTS_FILE:
            continue
        stem = path.name[: -len(TEMPLATE_SUFFIX)] if path.name.endswith(TEMPLATE_SUFFIX) else path.stem
        if STAGE.match(stem):
            names.add(stem)
    return sorted(names)


def discover_fleet(config_dir: str | Path) -> list[tuple[Path, str]]:
    """(directory, stage) of every stage config in `config_dir` and in its immediate subdirectories (a fleet
    kept as one directory of stage configs per model), directories by name, stages sorted within each."""
    root = Path(config_dir)
    dirs = [root, *sorted(p for p in root.iterdir() if p.is_dir())] if root.is_dir() else []
    return [(directory, stage) for directory in dirs for stage in discover_stages(directory)]
