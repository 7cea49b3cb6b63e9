"""The platform-owned part of a stage config (an SSM parameter Terraform writes) and what the team's file may set.

Terraform owns the platform facts (endpoint name, roles, KMS keys, registry, ledger, promotion bus, target,
rollback alarms, data capture destination, tags) and the platform's defaults for every team key; it writes them,
as one JSON document, to a SecureString parameter whose name the CodeBuild projects get in
DEPLOYER_PLATFORM_CONFIG. The team's `config/<stage>.json` (with `defaults.json` and the SageMaker Projects
template overlay, see sources.py) is deep-merged over it, and may set only TEAM_KEYS (or keys below them): a
team file that sets a platform key is refused, naming the file, the field and the team keys.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws_errors import error_code
from deployer.errors import ConfigError, aws_call
from deployer.sessions import Client

log = logging.getLogger(__name__)

PLATFORM_CONFIG_ENV = "DEPLOYER_PLATFORM_CONFIG"

# The team's keys, as dotted paths: each one and everything below it. Everything else the platform sets.
TEAM_KEYS: tuple[str, ...] = (
    "schema_version",
    "endpoint.instance_type",
    "endpoint.instance_count",
    "data_capture.enabled",
    "data_capture.sampling_percentage",
    "deployment.strategy",
    "deployment.step",
    "deployment.wait_seconds",
    "deployment.termination_wait_seconds",
    "deployment.max_execution_timeout_seconds",
    "deployment.allow_unguarded_fallback",
    "autoscaling",
    "smoke_tests",
    "metric_gate",
)


@dataclass(frozen=True)
class PlatformConfig:
    """The parameter's name (or ARN) and the JSON object it holds."""

    parameter: str
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"ssm:{self.parameter}"


def is_team_key(path: str) -> bool:
    return any(path == key or path.startswith(f"{key}.") for key in TEAM_KEYS)


def _leads_to_team_key(path: str) -> bool:
    return any(key.startswith(f"{path}.") for key in TEAM_KEYS)


def _walk(data: dict[str, Any], platform: dict[str, Any], prefix: str, found: list[str]) -> None:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if is_team_key(path):
            continue
        below = platform.get(key)
        if isinstance(value, dict) and _leads_to_team_key(path):
            _walk(value, below if isinstance(below, dict) else {}, f"{path}.", found)
        elif key in platform:  # a key the platform does not set is left to validation ("unknown key")
            found.append(path)


# Who the stage is in the platform: the platform's even where an older platform config does not set them yet (a
# team file naming another model would file its records under that model's ledger keys).
IDENTITY_KEYS: tuple[str, ...] = ("platform", "model", "project")


def platform_keys_set(team: dict[str, Any], platform: dict[str, Any]) -> list[str]:
    """Dotted paths the team document sets although the platform owns them."""
    found: list[str] = []
    _walk(team, platform, "", found)
    found.extend(key for key in IDENTITY_KEYS if key in team and key not in found)
    return found


def ownership_problems(team: dict[str, Any], where: str, platform: PlatformConfig) -> list[str]:
    """One `<file>: <field>: ...` line per platform key the team files set."""
    return [
        f"{where}: {path}: owned by the platform (Terraform writes it to SSM parameter {platform.parameter}); "
        f"remove it from the team file (allowed: the team keys {', '.join(TEAM_KEYS)})"
        for path in platform_keys_set(team, platform.document)
    ]


def fetch_platform_config(ssm: Client, parameter: str, *, account: str = "", role: str = "") -> PlatformConfig:
    """Read and decode the parameter; ConfigError naming DEPLOYER_PLATFORM_CONFIG when it is missing or not JSON."""
    where = f"{PLATFORM_CONFIG_ENV}={parameter}"
    with aws_call("ssm:GetParameter", account, role):
        try:
            answer = ssm.get_parameter(Name=parameter, WithDecryption=True)
        except ClientError as exc:
            if error_code(exc) in ("ParameterNotFound", "ParameterVersionNotFound", "ValidationException"):
                raise ConfigError(
                    [f"{where}: (parameter): {error_code(exc)} (allowed: the name of the stage's SSM parameter, "
                     "/<project>/<stage>/deployer/config, output platform_config_parameter_name)"]
                ) from exc  # fmt: skip
            raise
    text = str(answer["Parameter"].get("Value", ""))
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError([f"{where}: (value): not JSON: {exc} (allowed: the JSON object Terraform writes)"]) from exc
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ConfigError([f"{where}: (value): top level is {kind} (allowed: the JSON object Terraform writes)"])
    log.info("platform config from SSM parameter %s (version %s)", parameter, answer["Parameter"].get("Version"))
    return PlatformConfig(parameter, document)
