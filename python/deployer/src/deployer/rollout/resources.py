"""The CreateModel and CreateEndpointConfig requests of a stage, and the tags on what a rollout creates.

Each request is built once, without its name and tags; its generated name carries the hash of exactly that
request (`deployer.naming.hashed_name`), and the same request is what gets sent. Tags stay out of the hash:
they carry the hash themselves, and retagging must not cause a new config.
"""

from __future__ import annotations

from typing import Any

from deployer.config import StageConfig
from deployer.naming import ENDPOINT_TAG


def model_request(config: StageConfig, package_arn: str) -> dict[str, Any]:
    """CreateModel for the model package, without ModelName and Tags.

    VpcConfig and EnableNetworkIsolation are sent only when set, so a stage without them keeps the request, and
    so the names, it had before they existed; changing either changes the request, hence a new model and config.
    """
    endpoint = config.endpoint
    request: dict[str, Any] = {
        "ExecutionRoleArn": endpoint.execution_role_arn,
        "Containers": [{"ModelPackageName": package_arn}],
    }
    if endpoint.vpc is not None:
        request["VpcConfig"] = {
            "Subnets": list(endpoint.vpc.subnet_ids),
            "SecurityGroupIds": list(endpoint.vpc.security_group_ids),
        }
    if endpoint.network_isolation:
        request["EnableNetworkIsolation"] = True
    return request


def endpoint_config_request(config: StageConfig, model_name: str) -> dict[str, Any]:
    """CreateEndpointConfig serving `model_name`, without EndpointConfigName and Tags."""
    endpoint, capture = config.endpoint, config.data_capture
    request: dict[str, Any] = {
        "ProductionVariants": [
            {
                "VariantName": endpoint.variant_name,
                "ModelName": model_name,
                "InstanceType": endpoint.instance_type,
                "InitialInstanceCount": endpoint.instance_count,
                "InitialVariantWeight": 1.0,
            }
        ]
    }
    if endpoint.kms_key_arn:
        request["KmsKeyId"] = endpoint.kms_key_arn
    if capture.enabled:
        data_capture: dict[str, Any] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": capture.sampling_percentage,
            "DestinationS3Uri": capture.destination_s3_uri,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
        if capture.kms_key_arn:
            data_capture["KmsKeyId"] = capture.kms_key_arn
        request["DataCaptureConfig"] = data_capture
    return request


def resource_tags(config: StageConfig, package_arn: str, version: int, config_hash: str) -> list[dict[str, str]]:
    """The config's tags plus ours (ours win): package, version, stage, config hash, project, model, and the
    endpoint it was created for (cleanup deletes only what carries this endpoint's name)."""
    ours = {
        "deployer:model-package-arn": package_arn,
        "deployer:model-version": str(version),
        "deployer:stage": config.stage,
        "deployer:config-hash": config_hash,
        "deployer:project": config.project,
        "deployer:model": config.model,
        ENDPOINT_TAG: config.endpoint.name,
    }
    return [{"Key": k, "Value": v} for k, v in {**config.tags, **ours}.items()]
