"""Stage config: load `config/<stage>.json` (see sources.py for the files and the template overlay), validate it.

One validator per section (sections.py, fleet.py, deployment.py) returns that section's settings
dataclass (settings.py); validate.py runs them in document order and builds the StageConfig.
"""

from __future__ import annotations

from deployer.config.deployment import shift_steps
from deployer.config.settings import (
    SCHEMA_VERSION,
    AutoscalingSettings,
    DataCaptureSettings,
    DeploymentSettings,
    EndpointSettings,
    LedgerSettings,
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
    discover_stages,
    load_raw,
    overlay_template,
)
from deployer.config.validate import TOP_LEVEL_KEYS, load_stage_config, validate

__all__ = [
    "DEFAULTS_FILE",
    "IGNORED_TEMPLATE_PARAMETERS",
    "SCHEMA_VERSION",
    "TEMPLATE_PARAMETERS",
    "TEMPLATE_SUFFIX",
    "TOP_LEVEL_KEYS",
    "AutoscalingSettings",
    "DataCaptureSettings",
    "DeploymentSettings",
    "EndpointSettings",
    "LedgerSettings",
    "PromotionSettings",
    "RegistrySettings",
    "StageConfig",
    "StepSettings",
    "TargetSettings",
    "VpcSettings",
    "deep_merge",
    "discover_stages",
    "load_raw",
    "load_stage_config",
    "overlay_template",
    "shift_steps",
    "validate",
]
