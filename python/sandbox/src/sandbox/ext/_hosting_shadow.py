"""ShadowProductionVariants on CreateEndpointConfig, as AWS keeps and checks them; moto drops them.

AWS (CreateEndpointConfig): "If you use this field, you can only specify one variant for ProductionVariants and
one variant for ShadowProductionVariants." Variant names are unique across both lists, and a shadow's model must
exist like a production variant's. The endpoint serves them through `Fleet.shadows` (see sagemaker_runtime).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from sandbox.ext import _patch

log = logging.getLogger(__name__)

ATTR = "shadow_production_variants"
ONE_EACH = (
    "An endpoint configuration with ShadowProductionVariants must have exactly one variant in ProductionVariants "
    "and one variant in ShadowProductionVariants."
)


def check_shadows(production: list[dict[str, Any]], shadows: list[dict[str, Any]] | None) -> None:
    """AWS's rules for a shadow variant (the messages are the sandbox's: AWS's text is not documented)."""
    if not shadows:
        return
    if len(production) != 1 or len(shadows) != 1:
        raise ValidationError(message=ONE_EACH)
    names = [str(v.get("VariantName")) for v in [*production, *shadows]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(
            message=f"Variant names must be unique across ProductionVariants and ShadowProductionVariants: "
            f"{', '.join(duplicates)} appears more than once."
        )
    if any(v.get("ServerlessConfig") for v in [*production, *shadows]):
        raise ValidationError(message="ShadowProductionVariants is not supported for serverless variants.")


def create_endpoint_config(self: Any) -> ActionResult:
    """moto's CreateEndpointConfig, keeping ShadowProductionVariants after AWS's checks."""
    production = _patch.param(self, "ProductionVariants") or []
    shadows = _patch.param(self, "ShadowProductionVariants")
    check_shadows(production, shadows)
    backend = self.sagemaker_backend
    if shadows:
        backend.validate_production_variants(shadows)  # their models must exist
    config = backend.create_endpoint_config(
        endpoint_config_name=_patch.param(self, "EndpointConfigName"),
        async_inference_config=_patch.param(self, "AsyncInferenceConfig"),
        production_variants=production,
        data_capture_config=_patch.param(self, "DataCaptureConfig"),
        tags=_patch.param(self, "Tags"),
        kms_key_id=_patch.param(self, "KmsKeyId"),
    )
    setattr(config, ATTR, list(shadows or []))
    return ActionResult({"EndpointConfigArn": config.endpoint_config_arn})


def _describe_endpoint_config(original: Callable[..., Any]) -> Callable[..., Any]:
    def describe_endpoint_config(self: Any, endpoint_config_name: str) -> dict[str, Any]:
        answer = dict(original(self, endpoint_config_name))
        shadows = getattr(self.endpoint_configs[endpoint_config_name], ATTR, None)
        if shadows:
            # AWS reports the default weight it applied, as for production variants.
            answer["ShadowProductionVariants"] = [{"InitialVariantWeight": 1.0, **v} for v in shadows]
        return answer

    return describe_endpoint_config


def apply() -> None:
    _patch.replace(SageMakerResponse, "create_endpoint_config", create_endpoint_config)
    _patch.wrap(SageMakerModelBackend, "describe_endpoint_config", _describe_endpoint_config)
