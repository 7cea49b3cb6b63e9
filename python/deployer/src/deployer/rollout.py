"""Plan, preflight and roll out one stage; report its status.

Order of a deploy: prove both roles are assumable and the target account is the configured one, resolve
the candidate, read the endpoint, decide the action (create, update, rollback or no-op); preflight every
reference (package readable from the target account, artifacts reachable, execution role and alarms
exist) before the first change; then model, endpoint config, create or UpdateEndpoint, wait, verify,
autoscaling, tags and cleanup.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deployer import endpoint as ep
from deployer.config import StageConfig
from deployer.errors import (
    AccessDeniedError,
    DeployerError,
    EndpointBusyError,
    InputError,
    NothingToDeployError,
    error_code,
    error_message,
    is_access_denied,
)
from deployer.registry import REJECTED, CandidatePolicy, ModelVersion, NewestApproved, RegistryReader, resolve_candidate
from deployer.sessions import AccountSessions, role_label
from deployer.strategy import (
    deployment_config,
    digest,
    endpoint_config_payload,
    model_payload,
    resource_name,
    rollout_timeout,
)

log = logging.getLogger(__name__)

CREATE, UPDATE, ROLLBACK, NOOP = "create", "update", "rollback", "no-op"


@dataclass(frozen=True)
class Plan:
    stage: str
    endpoint: str
    action: str
    reason: str
    candidate_version: int
    candidate_arn: str
    model_name: str
    config_name: str
    config_hash: str
    live_version: int | None
    live_config: str
    live_status: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        live = f"v{self.live_version}" if self.live_version is not None else "none"
        return [
            f"stage: {self.stage}",
            f"endpoint: {self.endpoint} ({self.live_status or 'absent'})",
            f"candidate: v{self.candidate_version} {self.candidate_arn}",
            f"live: {live} {self.live_config}".rstrip(),
            f"endpoint config: {self.config_name}",
            f"action: {self.action} ({self.reason})",
        ]


@dataclass
class Result:
    plan: Plan
    outcome: str
    message: str
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "message": self.message,
            "created": self.created,
            "deleted": self.deleted,
            **self.plan.as_dict(),
        }


def resource_tags(config: StageConfig, version: ModelVersion, config_hash: str) -> list[dict[str, str]]:
    ours = {
        "deployer:model-package-arn": version.arn,
        "deployer:model-version": str(version.version),
        "deployer:stage": config.stage,
        "deployer:config-hash": config_hash,
        "deployer:project": config.project,
    }
    return [{"Key": k, "Value": v} for k, v in {**config.tags, **ours}.items()]


def endpoint_config_spec(config: StageConfig, model_name: str) -> dict[str, Any]:
    endpoint, capture = config.endpoint, config.data_capture
    spec: dict[str, Any] = {
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
        spec["KmsKeyId"] = endpoint.kms_key_arn
    if capture.enabled:
        data_capture: dict[str, Any] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": capture.sampling_percentage,
            "DestinationS3Uri": capture.destination_s3_uri,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
        if capture.kms_key_arn:
            data_capture["KmsKeyId"] = capture.kms_key_arn
        spec["DataCaptureConfig"] = data_capture
    return spec


def _s3_location(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[5:].partition("/")
    return (bucket, key) if bucket and key else None


class StageDeployer:
    """One stage's rollout. Sessions and the candidate policy are passed in."""

    def __init__(
        self,
        config: StageConfig,
        sessions: AccountSessions,
        *,
        policy: CandidatePolicy | None = None,
        poll_seconds: float | None = None,
        keep: int = 3,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.policy = policy or NewestApproved()
        self.poll_seconds = poll_seconds if poll_seconds is not None else ep.poll_seconds_from_env()
        self.keep = keep
        self._target: ep.Target | None = None
        self._registry: RegistryReader | None = None

    # -- clients ------------------------------------------------------------------------------------------------------

    def target(self) -> ep.Target:
        if self._target is None:
            t = self.config.target
            account = self.sessions.account_id(t.role_arn, t.region)
            if account != t.account_id:
                raise InputError(
                    f"{self.config.source}: target.account_id: {t.account_id} is configured, but "
                    f"{role_label(t.role_arn)} act in account {account} (allowed: the account of target.role_arn)"
                )

            def client(service: str) -> Any:
                return self.sessions.client(service, t.role_arn, t.region)

            self._target = ep.Target(client, t.account_id, t.role_arn)
        return self._target

    def registry(self) -> RegistryReader:
        if self._registry is None:
            r = self.config.registry
            account = self.sessions.account_id(r.role_arn, r.region)
            self._registry = RegistryReader(
                self.sessions.client("sagemaker", r.role_arn, r.region), r, account, r.role_arn
            )
        return self._registry

    # -- plan ---------------------------------------------------------------------------------------------------------

    def plan(self, *, pinned: int | None = None, force: bool = False) -> Plan:
        """Decide what a deploy would do; changes nothing."""
        registry = self.registry()
        target = self.target()
        candidate = resolve_candidate(registry, self.policy, pinned=pinned, force=force)
        model_hash = digest(model_payload(self.config, candidate.arn))[:8]
        model_name = resource_name(self.config.endpoint.name, candidate.version, model_hash)
        config_hash = digest(endpoint_config_payload(self.config, model_name))[:8]
        config_name = resource_name(self.config.endpoint.name, candidate.version, config_hash)
        live = ep.live_state(target, self.config.endpoint.name)
        action, reason = self._decide(candidate, live, config_name, pinned=pinned)
        return Plan(
            stage=self.config.stage,
            endpoint=self.config.endpoint.name,
            action=action,
            reason=reason,
            candidate_version=candidate.version,
            candidate_arn=candidate.arn,
            model_name=model_name,
            config_name=config_name,
            config_hash=config_hash,
            live_version=live.version if live else None,
            live_config=live.config_name if live else "",
            live_status=live.status if live else "",
        )

    def _decide(
        self, candidate: ModelVersion, live: ep.LiveState | None, config_name: str, *, pinned: int | None
    ) -> tuple[str, str]:
        if live is None:
            return CREATE, "no endpoint yet"
        if live.status in ("Failed", "OutOfService"):
            return CREATE, f"endpoint is {live.status} ({live.failure_reason or 'no reason given'}); it is recreated"
        if live.status in ep.BUSY:
            return "wait", f"endpoint is {live.status}: another deployment is in progress"
        if live.config_name == config_name:
            if live.status == ep.IN_SERVICE:
                return NOOP, f"v{candidate.version} is already live with the same config"
            return UPDATE, f"endpoint is {live.status}"
        if live.version is not None and candidate.version < live.version:
            if pinned is not None:
                return ROLLBACK, f"operator pinned v{candidate.version}, older than live v{live.version}"
            live_status = self.registry().status_of(live.package_arn) if live.package_arn else ""
            if live_status == REJECTED:
                return ROLLBACK, f"live v{live.version} was Rejected"
            return "refuse", (
                f"candidate v{candidate.version} is older than live v{live.version}, which is "
                f"{live_status or 'unknown'} in the registry, not Rejected"
            )
        if live.version == candidate.version:
            return UPDATE, f"v{candidate.version} is live with a different config ({live.config_name})"
        live_text = f"v{live.version}" if live.version is not None else f"config {live.config_name}"
        return UPDATE, f"{live_text} -> v{candidate.version}"

    # -- preflight ----------------------------------------------------------------------------------------------------

    def preflight(self, plan: Plan) -> None:
        """Check every reference before the first change. Raise InputError or AccessDeniedError."""
        target = self.target()
        source = self.config.source
        # The target account must be able to read the package (the group policy), or CreateModel fails later.
        with target.call("sagemaker:DescribeModelPackage"):
            try:
                package = target.sagemaker.describe_model_package(ModelPackageName=plan.candidate_arn)
            except ClientError as exc:
                if ep.is_not_found(exc):
                    raise InputError(
                        f"model package {plan.candidate_arn} is not readable from account {target.account}: "
                        f"{error_message(exc)} (does the model package group policy allow this account?)"
                    ) from exc
                raise
        for uri in self._artifact_uris(package):
            self._head_artifact(target, uri, plan.candidate_version)
        role_arn = self.config.endpoint.execution_role_arn
        role_name = role_arn.rsplit("/", 1)[-1]
        with target.call("iam:GetRole"):
            try:
                target.iam.get_role(RoleName=role_name)
            except ClientError as exc:
                if error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
                    raise InputError(
                        f"{source}: endpoint.execution_role_arn: role {role_name} does not exist in account "
                        f"{target.account} (allowed: an existing SageMaker execution role)"
                    ) from exc
                raise
        alarms = list(self.config.deployment.rollback_alarms)
        if alarms and plan.action in (UPDATE, ROLLBACK):
            with target.call("cloudwatch:DescribeAlarms"):
                found = {
                    a["AlarmName"] for a in target.cloudwatch.describe_alarms(AlarmNames=alarms).get("MetricAlarms", [])
                }
            missing = [a for a in alarms if a not in found]
            if missing:
                raise InputError(
                    f"{source}: deployment.rollback_alarms: {', '.join(missing)} not found in account "
                    f"{target.account} (allowed: existing CloudWatch metric alarms)"
                )

    @staticmethod
    def _artifact_uris(package: dict[str, Any]) -> list[str]:
        uris = []
        for container in (package.get("InferenceSpecification") or {}).get("Containers") or []:
            if container.get("ModelDataUrl"):
                uris.append(str(container["ModelDataUrl"]))
            source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
            if source.get("S3DataType") == "S3Object" and source.get("S3Uri"):
                uris.append(str(source["S3Uri"]))
        return uris

    @staticmethod
    def _head_artifact(target: ep.Target, uri: str, version: int) -> None:
        location = _s3_location(uri)
        if location is None:
            log.info("artifact %s is not an s3:// object; not checked", uri)
            return
        bucket, key = location
        try:
            target.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            code = error_code(exc)
            if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
                raise InputError(f"model package v{version}: artifact {uri} does not exist") from exc
            if is_access_denied(exc):
                raise AccessDeniedError(
                    target.account, role_label(target.role), f"s3:GetObject on {uri}", error_message(exc)
                ) from exc
            raise DeployerError(f"s3:HeadObject on {uri} failed: {code}: {error_message(exc)}") from exc

    # -- deploy -------------------------------------------------------------------------------------------------------

    def deploy(self, *, pinned: int | None = None, force: bool = False) -> Result:
        plan = self.plan(pinned=pinned, force=force)
        for line in plan.lines():
            log.info(line)
        if plan.action == NOOP:
            self._reconcile_autoscaling()
            return Result(plan, "no-op", f"v{plan.candidate_version} is already live on {plan.endpoint}")
        if plan.action == "wait":
            raise EndpointBusyError(f"{plan.endpoint}: {plan.reason}; try again when it settles")
        if plan.action == "refuse":
            raise NothingToDeployError(f"nothing to deploy: {plan.reason} (use --model-version to roll back)")
        self.preflight(plan)
        return self._roll_out(plan, pinned=pinned, force=force)

    def _roll_out(self, plan: Plan, *, pinned: int | None, force: bool) -> Result:
        target = self.target()
        cfg = self.config
        version = ModelVersion(plan.candidate_arn, plan.candidate_version, "")
        tags = resource_tags(cfg, version, plan.config_hash)
        result = Result(plan, "deployed", "")
        if ep.ensure_model(target, plan.model_name, plan.candidate_arn, cfg.endpoint.execution_role_arn, tags):
            result.created.append(plan.model_name)
        spec = endpoint_config_spec(cfg, plan.model_name)
        if ep.ensure_endpoint_config(target, plan.config_name, spec, tags):
            result.created.append(plan.config_name)

        creating = plan.action == CREATE
        endpoint_name = cfg.endpoint.name
        variant = cfg.endpoint.variant_name
        timeout = rollout_timeout(cfg, creating=creating)
        if creating:
            if plan.live_status in ("Failed", "OutOfService"):
                ep.delete_failed_endpoint(target, endpoint_name, timeout, self.poll_seconds)
            ep.create_endpoint(target, endpoint_name, plan.config_name, tags)
            result.created.append(endpoint_name)
        else:
            ep.suspend_autoscaling(target, endpoint_name, variant)
            ep.update_endpoint(target, endpoint_name, plan.config_name, deployment_config(cfg.deployment))
        log.info("waiting up to %.0fs, polling every %gs", timeout, self.poll_seconds)
        try:
            desc = ep.wait_until_settled(target, endpoint_name, timeout=timeout, poll=self.poll_seconds)
            ep.verify(desc, plan.config_name)
        except DeployerError:
            self._settle_autoscaling(target, quiet=True)  # a rolled-back endpoint keeps its scaling
            raise
        self._settle_autoscaling(target)
        if not creating:
            tag_arn = desc.get("EndpointArn")
            if tag_arn:
                ep.tag_resource(target, str(tag_arn), tags)
        result.deleted = ep.cleanup(target, endpoint_name, self.keep)
        result.message = f"v{plan.candidate_version} is live on {endpoint_name} ({plan.config_name})"
        log.info(result.message)
        return result

    def _reconcile_autoscaling(self) -> None:
        """On a no-op, bring autoscaling in line with the config if it drifted (changes nothing otherwise)."""
        target = self.target()
        name, variant, auto = self.config.endpoint.name, self.config.endpoint.variant_name, self.config.autoscaling
        current = ep.scalable_target(target, name, variant)
        if auto.enabled and (
            current is None
            or (current.get("MinCapacity"), current.get("MaxCapacity")) != (auto.min_capacity, auto.max_capacity)
        ):
            self._settle_autoscaling(target)
        elif not auto.enabled and current is not None:
            ep.remove_autoscaling(target, name, variant)

    def _settle_autoscaling(self, target: ep.Target, *, quiet: bool = False) -> None:
        """Once the endpoint is InService (on the new config or rolled back), put autoscaling in place."""
        name, variant, auto = self.config.endpoint.name, self.config.endpoint.variant_name, self.config.autoscaling
        try:
            desc = ep.describe_endpoint(target, name)
            if not desc or desc.get("EndpointStatus") != ep.IN_SERVICE:
                return
            if auto.enabled:
                ep.apply_autoscaling(
                    target,
                    name,
                    variant,
                    min_capacity=auto.min_capacity,
                    max_capacity=auto.max_capacity,
                    target_value=auto.target_invocations_per_instance,
                )
            else:
                ep.remove_autoscaling(target, name, variant)
        except DeployerError as exc:
            log.error("autoscaling not applied: %s", exc)
            if not quiet:
                raise


def stage_status(config: StageConfig, sessions: AccountSessions) -> dict[str, Any]:
    """Endpoint, status, live version and config, and the last deployment of one stage."""
    deployer = StageDeployer(config, sessions)
    target = deployer.target()
    live = ep.live_state(target, config.endpoint.name)
    if live is None:
        return {"stage": config.stage, "endpoint": config.endpoint.name, "status": "absent", "live_version": None}
    desc = live.description
    pending = desc.get("PendingDeploymentSummary") or {}
    return {
        "stage": config.stage,
        "endpoint": config.endpoint.name,
        "account": config.target.account_id,
        "status": live.status,
        "live_version": live.version,
        "model_package_arn": live.package_arn,
        "endpoint_config": live.config_name,
        "model": live.model_name,
        "failure_reason": live.failure_reason,
        "pending_config": pending.get("EndpointConfigName", ""),
        "last_modified": desc["LastModifiedTime"].isoformat()
        if hasattr(desc.get("LastModifiedTime"), "isoformat")
        else None,
        "last_deployment": desc.get("LastDeploymentConfig") or None,
        "variants": [
            {
                "name": v.get("VariantName"),
                "current_instance_count": v.get("CurrentInstanceCount"),
                "desired_instance_count": v.get("DesiredInstanceCount"),
            }
            for v in desc.get("ProductionVariants") or []
        ],
    }
