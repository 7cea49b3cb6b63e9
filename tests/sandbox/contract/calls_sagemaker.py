"""The SageMaker calls the deployer and the modules make: registry, models, configs, endpoints, runtime."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from sandbox.harness import Sandbox
from tests.sandbox.contract.recorder import Recorder

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/sklearn-inference:1.2-1"
FAST = {"SANDBOX_PROVISION_SECONDS": "10"}
Unique = Callable[[str], str]


def fails(call: Callable[..., Any], **kwargs: Any) -> str:
    """Make a call that must fail; its error response is recorded like any other."""
    try:
        call(**kwargs)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    raise AssertionError(f"{call.__name__} succeeded")


def registry(box: Sandbox, rec: Recorder, unique: Unique) -> str:
    """A group with one approved version in tooling, driven through every registry read; returns its ARN."""
    sm = rec.attach(box.client("sagemaker", "tooling"))
    group = unique("contract")
    sm.create_model_package_group(ModelPackageGroupName=group, Tags=[{"Key": "team", "Value": "churn"}])
    sm.describe_model_package_group(ModelPackageGroupName=group)
    sm.list_model_package_groups()
    container = {"Image": IMAGE, "ModelDataUrl": f"s3://artifacts/{group}/model.tar.gz", "Environment": FAST}
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"git_sha": "abc123"},
        InferenceSpecification={
            "Containers": [container],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="contract")
    sm.describe_model_package(ModelPackageName=arn)
    sm.list_model_packages(ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending")
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}])
    sm.list_tags(ResourceArn=arn)
    sm.delete_tags(ResourceArn=arn, TagKeys=["stage"])
    fails(sm.describe_model_package, ModelPackageName=f"{arn[:-2]}/99")
    fails(sm.describe_model_package_group, ModelPackageGroupName=unique("nowhere"))
    return str(arn)


def hosting(box: Sandbox, rec: Recorder, unique: Unique, package: str, role: str) -> str:
    """A model from the package, a config with data capture, an endpoint to InService; returns its name."""
    sm = rec.attach(box.client("sagemaker", "dev"))
    model = unique("model")
    sm.create_model(ModelName=model, ExecutionRoleArn=role, Containers=[{"ModelPackageName": package}])
    sm.describe_model(ModelName=model)
    sm.list_models(NameContains="model")
    fails(sm.create_model, ModelName=model, ExecutionRoleArn=role, Containers=[{"ModelPackageName": package}])
    config = unique("config")
    variant = {"VariantName": "Primary", "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": "s3://churn-dev-data-capture/capture",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant], DataCaptureConfig=capture)
    sm.describe_endpoint_config(EndpointConfigName=config)
    sm.list_endpoint_configs()
    endpoint = unique("endpoint")
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config, Tags=[{"Key": "stage", "Value": "dev"}])
    deadline = time.monotonic() + 10
    while sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline, "endpoint never InService"
        time.sleep(0.1)
    sm.list_endpoints(NameContains="endpoint")
    fails(sm.describe_endpoint, EndpointName=unique("nowhere"))
    fails(sm.describe_endpoint_config, EndpointConfigName=unique("nowhere"))
    fails(sm.describe_model, ModelName=unique("nowhere"))
    return endpoint


def shadow(box: Sandbox, rec: Recorder, unique: Unique, endpoint: str) -> None:
    """A config with a shadow variant (the live endpoint's model), its description and its endpoint's."""
    sm = rec.attach(box.client("sagemaker", "dev"))
    live = sm.describe_endpoint_config(
        EndpointConfigName=sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    )
    model = live["ProductionVariants"][0]["ModelName"]
    variant = {"ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    config = unique("shadow-config")
    sm.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[{**variant, "VariantName": "Primary"}],
        ShadowProductionVariants=[{**variant, "VariantName": "Shadow", "InitialVariantWeight": 0.5}],
    )
    sm.describe_endpoint_config(EndpointConfigName=config)
    shadowed = unique("shadow-endpoint")
    sm.create_endpoint(EndpointName=shadowed, EndpointConfigName=config)
    deadline = time.monotonic() + 10
    while sm.describe_endpoint(EndpointName=shadowed)["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline, "endpoint never InService"
        time.sleep(0.1)
    sm.delete_endpoint(EndpointName=shadowed)
    sm.delete_endpoint_config(EndpointConfigName=config)


def runtime(box: Sandbox, rec: Recorder, unique: Unique, endpoint: str) -> None:
    client = rec.attach(box.client("sagemaker-runtime", "dev"))
    answer = client.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1,2,3")
    answer["Body"].read()
    fails(client.invoke_endpoint, EndpointName=unique("nowhere"), ContentType="text/csv", Body=b"1")


def teardown(box: Sandbox, rec: Recorder, unique: Unique, endpoint: str) -> None:
    """The deployer's teardown order: endpoint, then its config and model."""
    sm = rec.attach(box.client("sagemaker", "dev"))
    described = sm.describe_endpoint(EndpointName=endpoint)
    config = sm.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
    sm.delete_endpoint(EndpointName=endpoint)
    sm.delete_endpoint_config(EndpointConfigName=config["EndpointConfigName"])
    sm.delete_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    fails(sm.delete_endpoint, EndpointName=unique("nowhere"))
