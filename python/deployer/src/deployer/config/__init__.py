"""Stage config: load `config/<stage>.json` (see sources.py for the files and the template overlay), merge it over
the platform config from SSM when DEPLOYER_PLATFORM_CONFIG names one (platform.py), validate it.

One validator per section (sections.py, fleet.py, deployment.py) returns that section's settings
dataclass (settings.py); validate.py runs them in document order and builds the StageConfig.
"""

from __future__ import annotations

from deployer.config.deployment import shift_steps
from deployer.config.platform import (
    PLATFORM_CONFIG_ENV,
    TEAM_KEYS,
    PlatformConfig,
    fetch_platform_config,
    platform_keys_set,
)
from deployer.config.settings import (
    SCHEMA_VERSION,
    AutoscalingSettings,
    DataCaptureSettings,
    DeploymentSettings,
    EndpointSettings,
    LedgerSettings,
    MetricGateSettings,
    MetricRule,
    PromotionSettings,
    RegistrySettings,
    StageConfig,
    StepSettings,
    TargetSettings,
    VpcSettings,
)
from deployer.config.sources import (
    DEFAULTS_FILE,
    IGNORED_TEMPLATE_PARAMETERS,
    TEMPLATE_PARAMETERS,
    TEMPLATE_SUFFIX,
    deep_merge,
    discover_fleet,
    discover_stages,
    load_raw,
    overlay_template,
)
from deployer.config.validate import TOP_LEVEL_KEYS, load_stage_config, validate

__all__ = [
    "DEFAULTS_FILE",
    "IGNORED_TEMPLATE_PARAMETERS",
    "PLATFORM_CONFIG_ENV",
    "SCHEMA_VERSION",
    "TEAM_KEYS",
    "TEMPLATE_PARAMETERS",
    "TEMPLATE_SUFFIX",
    "TOP_LEVEL_KEYS",
    "AutoscalingSettings",
    "DataCaptureSettings",
    "DeploymentSettings",
    "EndpointSettings",
    "LedgerSettings",
    "MetricGateSettings",
    "MetricRule",
    "PlatformConfig",
    "PromotionSettings",
    "RegistrySettings",
    "StageConfig",
    "StepSettings",
    "TargetSettings",
    "VpcSettings",
    "deep_merge",
    "discover_fleet",
    "discover_stages",
    "fetch_platform_config",
    "load_raw",
    "load_stage_config",
    "overlay_template",
    "platform_keys_set",
    "shift_steps",
    "validate",
]
