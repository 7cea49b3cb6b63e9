"""Stage config: load `config/<stage>.json`, overlay the SageMaker Projects template keys, validate in full.

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

Validation collects every problem as `<file>: <field>: <message> (allowed: ...)` and raises them together,
before any AWS call. Strategy limits mirror SageMaker's UpdateEndpoint rules.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.errors import ConfigError
from deployer.naming import partition_of

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
STRATEGIES = ("all_at_once", "canary", "linear", "rolling")
STEP_TYPES = ("INSTANCE_COUNT", "CAPACITY_PERCENT")
DEFAULTS_FILE = "defaults.json"
TEMPLATE_SUFFIX = "-config.json"

_PROJECT = re.compile(r"^[a-z0-9-]{1,40}$")
_STAGE = re.compile(r"^[a-z0-9-]{1,20}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_SM_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_GROUP_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):model-package-group/([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)
_TABLE = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
_BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[\w.+=,@/-]{1,256}$")
_KMS = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+|alias/[\w/+=,.@-]+|[0-9a-f-]{36})$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
_ALARM = re.compile(r"^[^\x00-\x1f]{1,255}$")
_SMOKE_DIR = re.compile(r"^(?!/)(?!.*(^|/)\.\.(/|$))[\w./-]{1,255}$")

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

TOP_LEVEL_KEYS = (
    "schema_version",
    "project",
    "stage",
    "previous_stage",
    "next_stage",
    "requires_approval",
    "registry",
    "ledger",
    "target",
    "endpoint",
    "data_capture",
    "deployment",
    "autoscaling",
    "smoke_tests",
    "tags",
)


@dataclass(frozen=True)
class RegistrySettings:
    model_package_group: str
    account_id: str
    region: str
    role_arn: str

    @property
    def group_name(self) -> str:
        match = _GROUP_ARN.match(self.model_package_group)
        return match.group(3) if match else self.model_package_group

    @property
    def group_arn(self) -> str:
        if self.model_package_group.startswith("arn:"):
            return self.model_package_group
        arn_prefix = f"arn:{partition_of(self.region)}:sagemaker:{self.region}:{self.account_id}"
        return f"{arn_prefix}:model-package-group/{self.group_name}"


@dataclass(frozen=True)
class LedgerSettings:
    table_name: str
    next_stage_event_bus_arn: str


@dataclass(frozen=True)
class TargetSettings:
    account_id: str
    region: str
    role_arn: str


@dataclass(frozen=True)
class EndpointSettings:
    name: str
    variant_name: str
    instance_type: str
    instance_count: int
    kms_key_arn: str
    execution_role_arn: str


@dataclass(frozen=True)
class DataCaptureSettings:
    enabled: bool
    sampling_percentage: int
    destination_s3_uri: str
    kms_key_arn: str


@dataclass(frozen=True)
class StepSettings:
    type: str
    value: int


@dataclass(frozen=True)
class DeploymentSettings:
    strategy: str
    step: StepSettings | None
    wait_seconds: int
    termination_wait_seconds: int
    max_execution_timeout_seconds: int
    rollback_alarms: tuple[str, ...]


@dataclass(frozen=True)
class AutoscalingSettings:
    enabled: bool
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: float


@dataclass(frozen=True)
class StageConfig:
    source: str
    schema_version: int
    project: str
    stage: str
    previous_stage: str
    next_stage: str
    requires_approval: bool
    registry: RegistrySettings
    ledger: LedgerSettings
    target: TargetSettings
    endpoint: EndpointSettings
    data_capture: DataCaptureSettings
    deployment: DeploymentSettings
    autoscaling: AutoscalingSettings
    smoke_tests_dir: str
    tags: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------------
# loading and overlaying


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
    if kind == "int" and re.fullmatch(r"-?\d+", text):
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


def load_raw(config_dir: Path, stage: str) -> tuple[dict[str, Any], str, list[str]]:
    """Return the merged document, a description of its source files, and read problems."""
    problems: list[str] = []
    defaults_path = config_dir / DEFAULTS_FILE
    native_path = config_dir / f"{stage}.json"
    template_path = config_dir / f"{stage}{TEMPLATE_SUFFIX}"
    defaults = _read_json(defaults_path, problems) or {}
    native = _read_json(native_path, problems)
    template = _read_json(template_path, problems)
    if native is None and template is None and not problems:
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


def load_stage_config(config_dir: str | Path, stage: str) -> StageConfig:
    """Load and validate the config of `stage`; raise ConfigError listing every problem."""
    config_dir = Path(config_dir)
    if not _STAGE.match(stage):
        raise ConfigError([f"--stage: {stage!r} is not a stage name (allowed: {_STAGE.pattern})"])
    data, where, problems = load_raw(config_dir, stage)
    if problems and not data:
        raise ConfigError(problems)
    config = validate(data, where, stage, problems)
    if problems:
        raise ConfigError(problems)
    assert config is not None
    return config


def discover_stages(config_dir: str | Path) -> list[str]:
    """Stage names that have a config file in `config_dir` (native or template), sorted."""
    names: set[str] = set()
    for path in Path(config_dir).glob("*.json"):
        if path.name == DEFAULTS_FILE:
            continue
        stem = path.name[: -len(TEMPLATE_SUFFIX)] if path.name.endswith(TEMPLATE_SUFFIX) else path.stem
        if _STAGE.match(stem):
            names.add(stem)
    return sorted(names)


# ---------------------------------------------------------------------------------------------------------------------
# validation


class _Checker:
    """Reads typed fields from the raw document, recording problems instead of raising."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems

    def add(self, path: str, message: str, allowed: str) -> None:
        self.problems.append(f"{self.where}: {path}: {message} (allowed: {allowed})")

    def section(self, data: dict[str, Any], key: str, keys: tuple[str, ...]) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            self.add(key, "missing", f"an object with {', '.join(keys)}")
            return {}
        if not isinstance(value, dict):
            self.add(key, f"is {type(value).__name__}", f"an object with {', '.join(keys)}")
            return {}
        for extra in sorted(set(value) - set(keys)):
            self.add(f"{key}.{extra}", "unknown key", ", ".join(keys))
        return value

    def string(
        self, data: dict[str, Any], path: str, pattern: re.Pattern[str] | None, allowed: str, *, empty_ok: bool = False
    ) -> str:
        key = path.rsplit(".", 1)[-1]
        if key not in data:
            self.add(path, "missing", allowed)
            return ""
        value = data[key]
        if not isinstance(value, str):
            self.add(path, f"{value!r} is {type(value).__name__}, not a string", allowed)
            return ""
        if value == "" and empty_ok:
            return value
        if pattern is not None and not pattern.match(value):
            self.add(path, f"{value!r} is invalid", allowed)
            return ""
        return value

    def boolean(self, data: dict[str, Any], path: str) -> bool:
        key = path.rsplit(".", 1)[-1]
        value = data.get(key)
        if not isinstance(value, bool):
            self.add(path, "missing" if key not in data else f"{value!r} is not a boolean", "true, false")
            return False
        return value

    def integer(self, data: dict[str, Any], path: str, low: int, high: int | None) -> int:
        key = path.rsplit(".", 1)[-1]
        allowed = f"integer {low}-{high}" if high is not None else f"integer >= {low}"
        value = data.get(key)
        if key not in data:
            self.add(path, "missing", allowed)
            return low
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"{value!r} is not an integer", allowed)
            return low
        if value < low or (high is not None and value > high):
            self.add(path, f"{value} is out of range", allowed)
            return low
        return value

    def number(self, data: dict[str, Any], path: str, low: float) -> float:
        key = path.rsplit(".", 1)[-1]
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(path, "missing" if key not in data else f"{value!r} is not a number", f"number > {low:g}")
            return 1.0
        if value <= low:
            self.add(path, f"{value} is out of range", f"number > {low:g}")
            return 1.0
        return float(value)

    def choice(self, data: dict[str, Any], path: str, choices: tuple[str, ...]) -> str:
        key = path.rsplit(".", 1)[-1]
        value = data.get(key)
        if value not in choices:
            self.add(path, "missing" if key not in data else f"{value!r} is not allowed", ", ".join(choices))
            return ""
        return str(value)

    def role(self, data: dict[str, Any], path: str, account: str, *, empty_ok: bool) -> str:
        allowed = "arn:aws:iam::<account_id>:role/<name>" + (' or "" for the current credentials' if empty_ok else "")
        value = self.string(data, path, _ROLE_ARN, allowed, empty_ok=empty_ok)
        match = _ROLE_ARN.match(value)
        if match and account and match.group(1) != account:
            self.add(path, f"role is in account {match.group(1)}, not the section's account_id", f"a role in {account}")
        return value


def _step_problem(strategy: str, step: StepSettings, count: int) -> tuple[str, str] | None:
    """Mirror SageMaker's limits for canary size, linear step and rolling batch; return (message, allowed)."""
    kind, value = step.type, step.value
    half = count // 2
    if strategy == "canary":
        if kind == "CAPACITY_PERCENT" and not 1 <= value <= 50:
            return f"canary of {value}% is out of range", "CAPACITY_PERCENT 1-50 (at most half the fleet)"
        if kind == "INSTANCE_COUNT" and not 1 <= value <= half:
            allowed = f"INSTANCE_COUNT 1-{half} for instance_count {count}" if half else "instance_count >= 2"
            return f"canary of {value} instances is more than 50% of instance_count {count}", allowed
    elif strategy == "linear":
        if kind == "CAPACITY_PERCENT" and not 10 <= value <= 50:
            return f"linear step of {value}% is out of range", "CAPACITY_PERCENT 10-50"
        if kind == "INSTANCE_COUNT":
            low, high = max(1, math.ceil(count * 0.1)), half
            if not low <= value <= high:
                allowed = (
                    f"INSTANCE_COUNT {low}-{high} (10-50% of instance_count {count})"
                    if high >= low
                    else ("instance_count >= 2 for a linear INSTANCE_COUNT step")
                )
                return f"linear step of {value} instances is out of range", allowed
    elif strategy == "rolling":
        if kind == "CAPACITY_PERCENT" and not 5 <= value <= 50:
            return f"rolling batch of {value}% is out of range", "CAPACITY_PERCENT 5-50"
        if kind == "INSTANCE_COUNT":
            low = max(1, math.ceil(count * 0.05))
            if not low <= value <= half:
                allowed = (
                    f"INSTANCE_COUNT {low}-{half} (5-50% of instance_count {count})"
                    if half >= low
                    else ("instance_count >= 2 for a rolling update")
                )
                return f"rolling batch of {value} instances is out of range", allowed
    return None


def shift_steps(strategy: str, step: StepSettings | None, count: int) -> int:
    """Number of traffic shifts (blue/green) or batches (rolling) SageMaker performs; each one bakes wait_seconds."""
    if strategy == "all_at_once" or step is None:
        return 1
    if strategy == "canary":
        return 2
    if step.type == "CAPACITY_PERCENT":
        return max(1, math.ceil(100 / step.value))
    return max(1, math.ceil(count / step.value))


def validate(data: dict[str, Any], where: str, stage: str, problems: list[str]) -> StageConfig | None:
    """Validate the merged document; append problems; return the config (meaningful only without problems)."""
    c = _Checker(where, problems)
    for extra in sorted(set(data) - set(TOP_LEVEL_KEYS)):
        c.add(extra, "unknown key", ", ".join(TOP_LEVEL_KEYS))
    if data.get("schema_version") != SCHEMA_VERSION:
        c.add("schema_version", "missing" if "schema_version" not in data else f"{data['schema_version']!r}", "1")
    project = c.string(data, "project", _PROJECT, _PROJECT.pattern)
    stage_name = c.string(data, "stage", _STAGE, _STAGE.pattern)
    if stage_name and stage_name != stage:
        c.add("stage", f"{stage_name!r} does not match the requested stage", repr(stage))
    stage_or_empty = f'{_STAGE.pattern} or ""'
    previous_stage = c.string(data, "previous_stage", _STAGE, stage_or_empty, empty_ok=True)
    next_stage = c.string(data, "next_stage", _STAGE, stage_or_empty, empty_ok=True)
    requires_approval = c.boolean(data, "requires_approval")

    reg = c.section(data, "registry", ("model_package_group", "account_id", "region", "role_arn"))
    reg_account = c.string(reg, "registry.account_id", _ACCOUNT, "12 digits") if reg else ""
    reg_region = c.string(reg, "registry.region", _REGION, "an AWS region such as us-east-1") if reg else ""
    group = ""
    if reg:
        group = c.string(
            reg,
            "registry.model_package_group",
            None,
            "a model package group name or arn:aws:sagemaker:...:model-package-group/<name>",
        )
        match = _GROUP_ARN.match(group)
        if group and not match and not _SM_NAME.match(group):
            c.add(
                "registry.model_package_group",
                f"{group!r} is invalid",
                "a group name (1-63 of a-z A-Z 0-9 -) or its ARN",
            )
        elif match and reg_account and reg_region and (match.group(2), match.group(1)) != (reg_account, reg_region):
            c.add(
                "registry.model_package_group",
                f"ARN is in {match.group(2)}/{match.group(1)}, not registry.account_id/region",
                f"an ARN in {reg_account}/{reg_region}",
            )
    reg_role = c.role(reg, "registry.role_arn", reg_account, empty_ok=True) if reg else ""

    led = c.section(data, "ledger", ("table_name", "next_stage_event_bus_arn"))
    table = c.string(led, "ledger.table_name", _TABLE, "3-255 of a-z A-Z 0-9 _ . -") if led else ""
    bus = (
        c.string(led, "ledger.next_stage_event_bus_arn", _BUS_ARN, 'an event bus ARN or ""', empty_ok=True)
        if led
        else ""
    )

    tgt = c.section(data, "target", ("account_id", "region", "role_arn"))
    tgt_account = c.string(tgt, "target.account_id", _ACCOUNT, "12 digits") if tgt else ""
    tgt_region = c.string(tgt, "target.region", _REGION, "an AWS region such as us-east-1") if tgt else ""
    tgt_role = c.role(tgt, "target.role_arn", tgt_account, empty_ok=True) if tgt else ""

    ep_keys = ("name", "variant_name", "instance_type", "instance_count", "kms_key_arn", "execution_role_arn")
    ep = c.section(data, "endpoint", ep_keys)
    name_allowed = "1-63 of a-z A-Z 0-9 and single hyphens inside"
    ep_name = c.string(ep, "endpoint.name", _SM_NAME, name_allowed) if ep else ""
    variant = c.string(ep, "endpoint.variant_name", _SM_NAME, name_allowed) if ep else ""
    instance_type = (
        c.string(ep, "endpoint.instance_type", _INSTANCE_TYPE, "ml.<family>.<size>, e.g. ml.m5.large") if ep else ""
    )
    count = c.integer(ep, "endpoint.instance_count", 1, None) if ep else 1
    kms = (
        c.string(ep, "endpoint.kms_key_arn", _KMS, 'a KMS key ARN, key id or alias, or ""', empty_ok=True) if ep else ""
    )
    exec_role = c.role(ep, "endpoint.execution_role_arn", tgt_account, empty_ok=False) if ep else ""

    dc = c.section(data, "data_capture", ("enabled", "sampling_percentage", "destination_s3_uri", "kms_key_arn"))
    capture = c.boolean(dc, "data_capture.enabled") if dc else False
    sampling = c.integer(dc, "data_capture.sampling_percentage", 0, 100) if dc else 0
    dest = ""
    if dc:
        dest = c.string(
            dc,
            "data_capture.destination_s3_uri",
            _S3_URI,
            's3://<bucket>/<prefix> (or "" when disabled)',
            empty_ok=True,
        )
        if capture and not dest and "destination_s3_uri" in dc and isinstance(dc["destination_s3_uri"], str):
            c.add("data_capture.destination_s3_uri", "empty while data capture is enabled", "s3://<bucket>/<prefix>")
    dc_kms = (
        c.string(dc, "data_capture.kms_key_arn", _KMS, 'a KMS key ARN, key id or alias, or ""', empty_ok=True)
        if dc
        else ""
    )

    dep_keys = (
        "strategy",
        "step",
        "wait_seconds",
        "termination_wait_seconds",
        "max_execution_timeout_seconds",
        "rollback_alarms",
    )
    dep = c.section(data, "deployment", dep_keys)
    strategy = c.choice(dep, "deployment.strategy", STRATEGIES) if dep else ""
    step: StepSettings | None = None
    if dep and strategy in ("canary", "linear", "rolling"):
        raw_step = dep.get("step")
        if not isinstance(raw_step, dict):
            c.add(
                "deployment.step",
                "missing" if raw_step is None else "not an object",
                '{"type": INSTANCE_COUNT|CAPACITY_PERCENT, "value": n}',
            )
        else:
            for extra in sorted(set(raw_step) - {"type", "value"}):
                c.add(f"deployment.step.{extra}", "unknown key", "type, value")
            kind = c.choice(raw_step, "deployment.step.type", STEP_TYPES)
            value = c.integer(raw_step, "deployment.step.value", 1, None)
            if kind and "value" in raw_step and value == raw_step.get("value"):
                step = StepSettings(kind, value)
                if ep and "instance_count" in ep and count == ep.get("instance_count"):
                    problem = _step_problem(strategy, step, count)
                    if problem:
                        c.add("deployment.step.value", *problem)
    elif dep and dep.get("step") not in (None, {}) and strategy == "all_at_once":
        log.debug("%s: deployment.step is ignored for all_at_once", where)
    wait = c.integer(dep, "deployment.wait_seconds", 0, 3600) if dep else 0
    termination = c.integer(dep, "deployment.termination_wait_seconds", 0, 3600) if dep else 0
    max_timeout = c.integer(dep, "deployment.max_execution_timeout_seconds", 600, 28800) if dep else 600
    alarms: list[str] = []
    if dep:
        raw_alarms = dep.get("rollback_alarms", [])
        if not isinstance(raw_alarms, list):
            c.add("deployment.rollback_alarms", "not a list", "a list of 0-10 CloudWatch alarm names")
        else:
            if len(raw_alarms) > 10:
                c.add("deployment.rollback_alarms", f"{len(raw_alarms)} alarms", "0-10 CloudWatch alarm names")
            for index, alarm in enumerate(raw_alarms):
                if not isinstance(alarm, str) or not _ALARM.match(alarm):
                    c.add(
                        f"deployment.rollback_alarms[{index}]",
                        f"{alarm!r} is invalid",
                        "an alarm name of 1-255 characters",
                    )
                else:
                    alarms.append(alarm)
            if len(set(alarms)) != len(alarms):
                c.add("deployment.rollback_alarms", "duplicate alarm names", "distinct alarm names")
        if strategy and not problems_for(problems, where, "deployment."):
            waiting = wait * shift_steps(strategy, step, count) + (termination if strategy != "rolling" else 0)
            if max_timeout <= waiting:
                c.add(
                    "deployment.max_execution_timeout_seconds",
                    f"{max_timeout} is not larger than the total waiting time {waiting}s of the {strategy} strategy",
                    f"{waiting + 1}-28800",
                )

    auto = c.section(
        data, "autoscaling", ("enabled", "min_capacity", "max_capacity", "target_invocations_per_instance")
    )
    auto_enabled = c.boolean(auto, "autoscaling.enabled") if auto else False
    min_cap = c.integer(auto, "autoscaling.min_capacity", 1, None) if auto else 1
    max_cap = c.integer(auto, "autoscaling.max_capacity", 1, None) if auto else 1
    if auto and auto_enabled and max_cap < min_cap:
        c.add("autoscaling.max_capacity", f"{max_cap} is below min_capacity {min_cap}", f"integer >= {min_cap}")
    target_value = c.number(auto, "autoscaling.target_invocations_per_instance", 0) if auto else 1.0

    smoke = c.section(data, "smoke_tests", ("dir",))
    smoke_dir = c.string(smoke, "smoke_tests.dir", _SMOKE_DIR, "a relative path inside the repo") if smoke else ""

    tags: dict[str, str] = {}
    raw_tags = data.get("tags", {})
    if not isinstance(raw_tags, dict):
        c.add("tags", "not an object", "an object of string -> string")
    else:
        for key, value in raw_tags.items():
            if (
                not isinstance(value, str)
                or not 1 <= len(key) <= 128
                or len(value) > 256
                or key.lower().startswith("aws:")
            ):
                c.add(
                    f"tags.{key}",
                    f"{value!r} is invalid",
                    "string keys 1-128 chars (not aws:), string values <= 256 chars",
                )
            else:
                tags[key] = value
        if len(tags) > 40:
            c.add("tags", f"{len(tags)} tags", "at most 40 (the deployer adds its own, SageMaker allows 50)")

    return StageConfig(
        source=where,
        schema_version=SCHEMA_VERSION,
        project=project,
        stage=stage_name,
        previous_stage=previous_stage,
        next_stage=next_stage,
        requires_approval=requires_approval,
        registry=RegistrySettings(group, reg_account, reg_region, reg_role),
        ledger=LedgerSettings(table, bus),
        target=TargetSettings(tgt_account, tgt_region, tgt_role),
        endpoint=EndpointSettings(ep_name, variant, instance_type, count, kms, exec_role),
        data_capture=DataCaptureSettings(capture, sampling, dest, dc_kms),
        deployment=DeploymentSettings(strategy, step, wait, termination, max_timeout, tuple(alarms)),
        autoscaling=AutoscalingSettings(auto_enabled, min_cap, max_cap, target_value),
        smoke_tests_dir=smoke_dir,
        tags=tags,
    )


def problems_for(problems: list[str], where: str, prefix: str) -> bool:
    return any(p.startswith(f"{where}: {prefix}") for p in problems)
