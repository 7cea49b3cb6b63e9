"""DescribeModel / DescribeEndpointConfig in AWS's shapes, so Terraform re-plans without replacing.

moto renders every attribute it holds: an unset VpcConfig comes back as `{}` (the aws provider
reads a vpc_config block with empty lists and, since vpc_config forces replacement, wants to
replace the model on every plan), and an unset DataCaptureConfig/AsyncInferenceConfig likewise
forces the endpoint configuration's replacement. AWS omits what was not set. Creation stays with
ext/sagemaker_hosting.py; this only changes how the stored objects are described.
"""

from __future__ import annotations

import logging
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

from sandbox.ext import _patch

log = logging.getLogger(__name__)


def _present(value: Any) -> bool:
    """Set by the caller: not None and not an empty container (or one holding only empties)."""
    if value is None:
        return False
    if isinstance(value, dict):
        return any(_present(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_present(v) for v in value)
    return True


def _model_shape(response: dict[str, Any]) -> dict[str, Any]:
    response = dict(response)
    for key in ("VpcConfig", "Containers", "PrimaryContainer", "InferenceExecutionConfig"):
        if key in response and not _present(response[key]):
            del response[key]
    response.setdefault("EnableNetworkIsolation", False)
    return response


def _endpoint_config_shape(response: dict[str, Any]) -> dict[str, Any]:
    response = dict(response)
    for key in ("DataCaptureConfig", "AsyncInferenceConfig", "KmsKeyId", "ShadowProductionVariants"):
        if key in response and not _present(response[key]):
            del response[key]
    variants = []
    for variant in response.get("ProductionVariants") or []:
        variant = dict(variant)
        # AWS reports the default weight it applied.
        variant.setdefault("InitialVariantWeight", 1.0)
        variants.append(variant)
    response["ProductionVariants"] = variants
    return response


# Only the wire answer changes: moto's own backend code (CreateEndpoint reads the config's
# DataCaptureConfig key) keeps seeing the full stored shape.
def _describe_model(self: Any) -> ActionResult:
    model = self.sagemaker_backend.describe_model(_patch.param(self, "ModelName"))
    return ActionResult(_model_shape(model.response_object))


def _describe_endpoint_config(self: Any) -> ActionResult:
    config = self.sagemaker_backend.describe_endpoint_config(_patch.param(self, "EndpointConfigName"))
    return ActionResult(_endpoint_config_shape(config))


def apply() -> None:
    _patch.replace(SageMakerResponse, "describe_model", _describe_model)
    _patch.replace(SageMakerResponse, "describe_endpoint_config", _describe_endpoint_config)
    log.debug("sagemaker: DescribeModel/DescribeEndpointConfig omit unset blocks")
