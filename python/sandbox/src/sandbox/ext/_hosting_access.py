"""SageMaker hosting acts as the model's execution role, and IAM decides what it may read.

When a fleet is provisioned, SageMaker assumes the execution role (its trust must let
sagemaker.amazonaws.com in) and, as that role, reads the model artifact (`s3:GetObject`, and
`kms:Decrypt` through S3 when the object is KMS-encrypted), pulls the image from ECR (when the
repository exists in the sandbox), and, for an update with auto-rollback alarms, reads them
(`cloudwatch:DescribeAlarms`). A refusal makes the create fail, or the update roll back, with a
FailureReason worded as SageMaker words it. Writing data capture is authorized too; AWS does not fail
the endpoint when it cannot write, so a refusal only shows in the IAM report.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.ext import _policy
from sandbox.iam.engine import engine, mode
from sandbox.iam.model import Authorization, Principal
from sandbox.iam.resolver import MotoResolver

SERVICE = "sagemaker.amazonaws.com"
_S3_URI = re.compile(r"^s3://([^/]+)/?(.*)$")
_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+)")
_resolver = MotoResolver()


def _allowed(principal: Principal, action: str, resource: str, region: str, **context: str) -> bool:
    authz = Authorization(action, resource, context={k: [v] for k, v in context.items()})
    return not engine().authorize(principal, authz, region=region, operation="SageMaker hosting").refused


def _assume_reason(role_arn: str) -> str:
    return (
        f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
        f'"{SERVICE}" to assume the role.'
    )


def _model_data_reason(role_arn: str, uri: str, region: str, action: str) -> str:
    return (
        f'Could not access model data at {uri}. Please ensure that the role "{role_arn}" exists and that its '
        f'trust relationship policy allows the action "sts:AssumeRole" for the service principal "{SERVICE}". '
        f'Also ensure that the role has "{action}" permissions and that the object is located in {region}.'
    )


def _can_assume(role_arn: str, account: str, region: str, model_arn: str) -> bool:
    # SageMaker names the account and a SageMaker ARN in it (here the model's) as the confused-deputy keys.
    service = Principal(account=account, arn=SERVICE, principal_arn=SERVICE, service=SERVICE)
    context = {"aws:sourceaccount": [account], "aws:sourcearn": [model_arn]}
    authz = Authorization(
        "sts:AssumeRole", role_arn, role_arn.split(":")[4] if role_arn.count(":") >= 5 else "", context
    )
    return not engine().authorize(service, authz, region=region, operation="SageMaker AssumeRole").refused


def _artifact_reason(role: Principal, uri: str, region: str) -> str | None:
    match = _S3_URI.match(uri)
    if not match:
        return None
    bucket, key = match.groups()
    if not _allowed(role, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", region):
        return _model_data_reason(role.principal_arn, uri, region, "s3:GetObject")
    key_arn = _resolver.object_kms_key(bucket, key)
    if key_arn and not _allowed(
        role, "kms:Decrypt", key_arn, region, **{"kms:viaservice": f"s3.{region}.amazonaws.com"}
    ):
        return _model_data_reason(role.principal_arn, uri, region, "kms:Decrypt")
    return None


def _image_reason(role: Principal, image: str) -> str | None:
    match = _ECR_IMAGE.match(image)
    if not match:
        return None
    account, region, repository = match.groups()
    from moto.ecr.models import ecr_backends

    if repository not in ecr_backends[account][region].repositories:
        return None  # images outside the sandbox's ECR are not modelled
    arn = f"arn:aws:ecr:{region}:{account}:repository/{repository}"
    for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
        if not _allowed(role, action, arn, region):
            return f"The role '{role.principal_arn}' does not have BatchGetImage permission for the image: '{image}'."
    return None


def failure(backend: Any, fleet: Any, alarms: list[str]) -> str | None:
    """Why SageMaker, acting as each variant's execution role, could not provision `fleet` (None: it can)."""
    if mode() == "off":
        return None
    region = backend.region_name
    for variant in fleet.variants:
        model = backend._models.get(variant.model_name)
        role_arn = str(getattr(model, "execution_role_arn", "") or "")
        if not role_arn.startswith("arn:"):
            continue
        model_arn = f"arn:aws:sagemaker:{region}:{backend.account_id}:model/{variant.model_name.lower()}"
        if not _can_assume(role_arn, backend.account_id, region, model_arn):
            return _assume_reason(role_arn)
        role = _policy.role_session(role_arn, "SageMaker")
        for container in variant.containers:
            reason = _artifact_reason(role, container.model_data_url, region) or _image_reason(role, container.image)
            if reason:
                return reason
        for alarm in alarms:
            arn = f"arn:aws:cloudwatch:{region}:{backend.account_id}:alarm:{alarm}"
            if not _allowed(role, "cloudwatch:DescribeAlarms", arn, region):
                return (
                    f"Unable to describe CloudWatch alarm {alarm} with the execution role {role_arn}: it needs "
                    "cloudwatch:DescribeAlarms on the auto-rollback alarms."
                )
        _authorize_capture(role, fleet.data_capture, region, backend)
    return None


def _authorize_capture(role: Principal, capture: dict[str, Any], region: str, backend: Any) -> None:
    match = _S3_URI.match(str(capture.get("DestinationS3Uri") or ""))
    if not capture.get("EnableCapture", True) or not match:
        return
    bucket, prefix = match.groups()
    key = f"{prefix.rstrip('/')}/{backend.account_id}/capture.jsonl".lstrip("/")
    _allowed(role, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}", region)
