"""Preflight: check every reference of a plan before the first change.

The package must be readable from the target account, its artifacts reachable, KMS keys usable, the
execution role present and the rollback alarms in place. Raises InputError, AccessDeniedError or
RolloutError; returns what the rollout acts on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deployer import endpoint as ep
from deployer.aws_errors import error_code, error_message, is_access_denied, is_not_found
from deployer.config import StageConfig
from deployer.config.deployment import GUARDED_STRATEGIES, MARKETPLACE_REGISTRY, UNGUARDED_ALLOWED
from deployer.errors import AccessDeniedError, DeployerError, InputError, RolloutError
from deployer.rollout.decide import Action
from deployer.rollout.plan import Plan
from deployer.sessions import role_label

log = logging.getLogger(__name__)


@dataclass
class Preflight:
    """What preflight found that the rollout acts on: alarm states, and whether to keep the alarms."""

    alarm_states: dict[str, str] = field(default_factory=dict)
    use_alarms: bool = True
    warnings: list[str] = field(default_factory=list)


def preflight(config: StageConfig, target: ep.Target, plan: Plan) -> Preflight:
    """Check every reference before the first change."""
    report = Preflight()
    package = _readable_package(target, plan)
    _check_inference_spec(config, package, plan)
    _check_marketplace(config, package, plan)
    keys: dict[str, str] = {}
    if config.endpoint.kms_key_arn:
        keys[config.endpoint.kms_key_arn] = f"{config.source}: endpoint.kms_key_arn"
    if config.data_capture.enabled and config.data_capture.kms_key_arn:
        keys[config.data_capture.kms_key_arn] = f"{config.source}: data_capture.kms_key_arn"
    for uri in _artifact_uris(package):
        key = _head_artifact(target, uri, plan.candidate_version)
        if key:
            keys.setdefault(key, f"model package v{plan.candidate_version}: the KMS key of artifact {uri}")
    for key, where in keys.items():
        report.warnings.extend(_check_key(target, key, where))
    _check_role(config, target)
    alarms = list(config.deployment.rollback_alarms)
    if alarms and plan.action in (Action.UPDATE, Action.ROLLBACK):
        _check_alarms(config, target, plan, alarms, report)
    for warning in report.warnings:
        log.warning(warning)
    return report


def _readable_package(target: ep.Target, plan: Plan) -> dict[str, Any]:
    """The target account must be able to read the package (the group policy), or CreateModel fails later."""
    with target.call("sagemaker:DescribeModelPackage"):
        try:
            return dict(target.sagemaker.describe_model_package(ModelPackageName=plan.candidate_arn))
        except ClientError as exc:
            if is_not_found(exc):
                # AWS answers a deleted package, and one the group policy hides, alike: "... does not exist."
                raise InputError(
                    f"model package {plan.candidate_arn} does not exist or is not readable from account "
                    f"{target.account}: {error_message(exc)} (was the version deleted? does the model package "
                    "group policy allow this account?)"
                ) from exc
            raise


def _check_inference_spec(config: StageConfig, package: dict[str, Any], plan: Plan) -> None:
    """The version must be hostable: an InferenceSpecification whose containers each name an image, and,
    when the package lists the real-time instance types it supports, the configured one among them."""
    where = f"model package v{plan.candidate_version} ({plan.candidate_arn})"
    spec = package.get("InferenceSpecification") or {}
    containers = spec.get("Containers") or []
    if not containers:
        raise InputError(
            f"{where} has no InferenceSpecification containers, so it cannot be hosted "
            "(allowed: a version registered with InferenceSpecification.Containers)"
        )
    imageless = [str(i) for i, c in enumerate(containers) if not c.get("Image")]
    if imageless:
        raise InputError(f"{where}: InferenceSpecification.Containers[{', '.join(imageless)}] name no Image")
    supported = spec.get("SupportedRealtimeInferenceInstanceTypes") or []
    if supported and config.endpoint.instance_type not in supported:
        raise InputError(
            f"{config.source}: endpoint.instance_type: {config.endpoint.instance_type} is not supported by {where} "
            f"(allowed: {', '.join(sorted(supported))})"
        )


def _check_marketplace(config: StageConfig, package: dict[str, Any], plan: Plan) -> None:
    """AWS Marketplace containers get no deployment guardrails (SageMaker updates them all at once): a guarded
    strategy or rollback alarms there are refused unless the config accepts the fallback."""
    dep = config.deployment
    guarded = dep.strategy in GUARDED_STRATEGIES or bool(dep.rollback_alarms)
    if dep.allow_unguarded_fallback or not guarded or plan.action == Action.CREATE:
        return
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
    market = [
        str(c.get("Image", "")) or str(c.get("ProductId", ""))
        for c in containers
        if c.get("ProductId") or str(c.get("Image", "")).split(".", 1)[0] == MARKETPLACE_REGISTRY
    ]
    if market:
        raise InputError(
            f"{config.source}: deployment.strategy: {dep.strategy} with guardrails is not possible: model package "
            f"v{plan.candidate_version} uses the AWS Marketplace container {market[0]}, which SageMaker updates all at "
            f"once (allowed: {UNGUARDED_ALLOWED})"
        )


def _check_role(config: StageConfig, target: ep.Target) -> None:
    role_name = config.endpoint.execution_role_arn.rsplit("/", 1)[-1]
    with target.call("iam:GetRole"):
        try:
            target.iam.get_role(RoleName=role_name)
        except ClientError as exc:
            if error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
                raise InputError(
                    f"{config.source}: endpoint.execution_role_arn: role {role_name} does not exist in account "
                    f"{target.account} (allowed: an existing SageMaker execution role)"
                ) from exc
            raise


def _check_alarms(config: StageConfig, target: ep.Target, plan: Plan, alarms: list[str], report: Preflight) -> None:
    """Rollback alarms must exist. An alarm already in ALARM would roll the update back at its first bake:
    an update fails here, before any change; a rollback (or a move away from a Rejected version) goes
    ahead without the alarms, because they report the version being replaced. INSUFFICIENT_DATA never
    rolls back (SageMaker acts on ALARM only): it is reported as a warning and the update goes ahead."""
    with target.call("cloudwatch:DescribeAlarms"):
        found = {
            str(a["AlarmName"]): str(a.get("StateValue", ""))
            for a in target.cloudwatch.describe_alarms(AlarmNames=alarms).get("MetricAlarms", [])
        }
    missing = [a for a in alarms if a not in found]
    if missing:
        raise InputError(
            f"{config.source}: deployment.rollback_alarms: {', '.join(missing)} not found in account "
            f"{target.account} (allowed: existing CloudWatch metric alarms)"
        )
    report.alarm_states = found
    firing = [a for a in alarms if found[a] == "ALARM"]
    quiet = [a for a in alarms if found[a] == "INSUFFICIENT_DATA"]
    if quiet:
        report.warnings.append(
            f"rollback alarm(s) {', '.join(quiet)} in INSUFFICIENT_DATA: they cannot roll this update back "
            "until they have data (SageMaker acts on ALARM only)"
        )
    if not firing:
        return
    if plan.action == Action.ROLLBACK or plan.moving_away_from_rejected:
        report.use_alarms = False
        report.warnings.append(
            f"rollback alarm(s) {', '.join(firing)} already in ALARM, reporting the version being replaced: "
            "this rollback runs without AutoRollbackConfiguration"
        )
        return
    raise RolloutError(
        f"rollback alarm(s) {', '.join(firing)} already in ALARM on {plan.endpoint}: SageMaker would roll the "
        f"update to v{plan.candidate_version} back at its first bake; nothing was changed"
    )


def _check_key(target: ep.Target, key: str, where: str) -> list[str]:
    """kms:DescribeKey: denied -> AccessDeniedError; missing or not Enabled in the target account ->
    InputError. A key of another account that cannot be found is only a warning: whether the execution
    role may use it is decided by its key policy, which the deployer cannot read."""
    key_account = key.split(":")[4] if key.startswith("arn:") and key.count(":") >= 5 else target.account
    try:
        metadata = target.kms.describe_key(KeyId=key)["KeyMetadata"]
    except ClientError as exc:
        if is_access_denied(exc):
            raise AccessDeniedError(
                target.account, role_label(target.role), f"kms:DescribeKey on {key}", error_message(exc)
            ) from exc
        if error_code(exc) in ("NotFoundException", "InvalidArnException"):
            if key_account != target.account:
                return [f"{where}: cannot describe KMS key {key} from account {target.account}: {error_message(exc)}"]
            raise InputError(f"{where}: KMS key {key} not found in account {target.account}") from exc
        raise DeployerError(f"kms:DescribeKey on {key} failed: {error_code(exc)}: {error_message(exc)}") from exc
    state = str(metadata.get("KeyState", ""))
    if state and state != "Enabled":
        raise InputError(f"{where}: KMS key {key} is {state} (allowed: an Enabled key)")
    return []


def _artifact_uris(package: dict[str, Any]) -> list[str]:
    uris = []
    for container in (package.get("InferenceSpecification") or {}).get("Containers") or []:
        if container.get("ModelDataUrl"):
            uris.append(str(container["ModelDataUrl"]))
        source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
        if source.get("S3DataType") == "S3Object" and source.get("S3Uri"):
            uris.append(str(source["S3Uri"]))
    return uris


def _s3_location(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[5:].partition("/")
    return (bucket, key) if bucket and key else None


def _head_artifact(target: ep.Target, uri: str, version: int) -> str:
    """HeadObject the artifact; return its SSE-KMS key id ("" when none)."""
    location = _s3_location(uri)
    if location is None:
        log.info("artifact %s is not an s3:// object; not checked", uri)
        return ""
    bucket, key = location
    try:
        head = target.s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = error_code(exc)
        if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
            raise InputError(f"model package v{version}: artifact {uri} does not exist") from exc
        if is_access_denied(exc):
            raise AccessDeniedError(
                target.account, role_label(target.role), f"s3:GetObject on {uri}", error_message(exc)
            ) from exc
        raise DeployerError(f"s3:HeadObject on {uri} failed: {code}: {error_message(exc)}") from exc
    return str(head.get("SSEKMSKeyId") or "") if head.get("ServerSideEncryption") == "aws:kms" else ""
