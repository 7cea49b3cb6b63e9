"""Plan, preflight and roll out one stage; report its status.

Order of a deploy: prove both roles are assumable and the target account is the configured one, resolve
the candidate, read the endpoint, decide the action (create, update, rollback or no-op); preflight every
reference (package readable from the target account, artifacts reachable, execution role and alarms
exist) before the first change; then model, endpoint config, create or UpdateEndpoint, wait, verify,
autoscaling, tags and cleanup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deployer import endpoint as ep
from deployer import env
from deployer.aws_errors import error_code, error_message, is_access_denied, is_not_found
from deployer.config import StageConfig
from deployer.errors import (
    AccessDeniedError,
    DeployerError,
    EndpointBusyError,
    InputError,
    NothingToDeployError,
    RolloutError,
)
from deployer.naming import digest, endpoint_config_payload, model_payload, resource_name
from deployer.registry import REJECTED, CandidatePolicy, ModelVersion, NewestApproved, RegistryReader, resolve_candidate
from deployer.sessions import AccountSessions, role_label
from deployer.strategy import deployment_config, rollout_timeout

log = logging.getLogger(__name__)

CREATE, UPDATE, ROLLBACK, NOOP = "create", "update", "rollback", "no-op"
RESUME, WAIT, REFUSE = "resume", "wait", "refuse"


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
    candidate_reason: str = ""
    passed_over: tuple[str, ...] = ()
    live_package_arn: str = ""
    live_approval: str = ""
    pending_config: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed_over"] = list(self.passed_over)
        return data

    @property
    def moving_away_from_rejected(self) -> bool:
        return self.live_approval == REJECTED and self.live_version != self.candidate_version

    def lines(self) -> list[str]:
        live = f"v{self.live_version}" if self.live_version is not None else "none"
        if self.live_approval:
            live += f" ({self.live_approval})"
        lines = [
            f"stage: {self.stage}",
            f"endpoint: {self.endpoint} ({self.live_status or 'absent'})",
            f"candidate: v{self.candidate_version} {self.candidate_arn}",
        ]
        if self.candidate_reason:
            lines.append(f"why: {self.candidate_reason}")
        lines.extend(f"passed over: {why}" for why in self.passed_over)
        lines += [
            f"live: {live} {self.live_config}".rstrip(),
            f"endpoint config: {self.config_name}",
            f"action: {self.action} ({self.reason})",
        ]
        return lines


@dataclass
class Result:
    plan: Plan
    outcome: str
    message: str
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "message": self.message,
            "created": self.created,
            "deleted": self.deleted,
            "warnings": self.warnings,
            **self.plan.as_dict(),
        }


@dataclass
class Preflight:
    """What preflight found that the rollout acts on: alarm states, and whether to keep the alarms."""

    alarm_states: dict[str, str] = field(default_factory=dict)
    use_alarms: bool = True
    warnings: list[str] = field(default_factory=list)


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
    """One stage's rollout: plan, preflight, change, wait, verify. Sessions and the candidate policy are passed
    in; the ledger, the lock and the registry marks are the caller's business (see `deployer.promotion`).

    `keepalive` is called on every poll while waiting (the promotion layer renews the endpoint lease there);
    `timeout_seconds` overrides the wait limit derived from the strategy.
    """

    def __init__(
        self,
        config: StageConfig,
        sessions: AccountSessions,
        *,
        policy: CandidatePolicy | None = None,
        poll_seconds: float | None = None,
        keep: int = 3,
        keepalive: Callable[[], None] | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.policy = policy or NewestApproved()
        self.poll_seconds = poll_seconds if poll_seconds is not None else env.poll_seconds()
        self.keep = keep
        self.keepalive = keepalive
        self.timeout_seconds = timeout_seconds
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
        resolution = resolve_candidate(registry, self.policy, pinned=pinned, force=force)
        candidate = resolution.candidate
        model_hash = digest(model_payload(self.config, candidate.arn))[:8]
        model_name = resource_name(self.config.endpoint.name, candidate.version, model_hash)
        config_hash = digest(endpoint_config_payload(self.config, model_name))[:8]
        config_name = resource_name(self.config.endpoint.name, candidate.version, config_hash)
        live = ep.live_state(target, self.config.endpoint.name)
        live_approval = ""
        if live is not None and live.package_arn:
            live_approval = (
                candidate.status if live.package_arn == candidate.arn else registry.status_of(live.package_arn)
            )
        action, reason = self._decide(candidate, live, config_name, live_approval, pinned=pinned)
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
            candidate_reason=resolution.reason,
            passed_over=resolution.passed_over,
            live_package_arn=live.package_arn if live else "",
            live_approval=live_approval,
            pending_config=live.pending_config if live else "",
        )

    def _decide(
        self,
        candidate: ModelVersion,
        live: ep.LiveState | None,
        config_name: str,
        live_approval: str,
        *,
        pinned: int | None,
    ) -> tuple[str, str]:
        if live is None:
            return CREATE, "no endpoint yet"
        if live.status in ("Failed", "OutOfService"):
            return CREATE, f"endpoint is {live.status} ({live.failure_reason or 'no reason given'}); it is recreated"
        if live.status in ep.BUSY:
            ours_in_flight = live.pending_config == config_name or (
                live.status == "Creating" and live.config_name == config_name
            )
            if ours_in_flight:
                return RESUME, f"endpoint is {live.status} to {config_name} already (an earlier run); waiting for it"
            return WAIT, f"endpoint is {live.status}: another deployment is in progress"
        if live.config_name == config_name:
            if live.status == ep.IN_SERVICE:
                return NOOP, f"v{candidate.version} is already live with the same config"
            return UPDATE, f"endpoint is {live.status}"
        if live.version is not None and candidate.version < live.version:
            if pinned is not None:
                return ROLLBACK, f"operator pinned v{candidate.version}, older than live v{live.version}"
            if live_approval == REJECTED:
                return ROLLBACK, f"live v{live.version} was Rejected"
            return REFUSE, (
                f"candidate v{candidate.version} is older than live v{live.version}, which is "
                f"{live_approval or 'unknown'} in the registry, not Rejected: never downgrade"
            )
        if live.version == candidate.version:
            return UPDATE, f"v{candidate.version} is live with a different config ({live.config_name})"
        live_text = f"v{live.version}" if live.version is not None else f"config {live.config_name}"
        if live_approval == REJECTED:
            return UPDATE, f"live {live_text} was Rejected -> v{candidate.version}"
        return UPDATE, f"{live_text} -> v{candidate.version}"

    # -- preflight ----------------------------------------------------------------------------------------------------

    def preflight(self, plan: Plan) -> Preflight:
        """Check every reference before the first change. Raise InputError, AccessDeniedError or RolloutError."""
        target = self.target()
        source = self.config.source
        report = Preflight()
        # The target account must be able to read the package (the group policy), or CreateModel fails later.
        with target.call("sagemaker:DescribeModelPackage"):
            try:
                package = target.sagemaker.describe_model_package(ModelPackageName=plan.candidate_arn)
            except ClientError as exc:
                if is_not_found(exc):
                    raise InputError(
                        f"model package {plan.candidate_arn} is not readable from account {target.account}: "
                        f"{error_message(exc)} (does the model package group policy allow this account?)"
                    ) from exc
                raise
        keys: dict[str, str] = {}
        if self.config.endpoint.kms_key_arn:
            keys[self.config.endpoint.kms_key_arn] = f"{source}: endpoint.kms_key_arn"
        if self.config.data_capture.enabled and self.config.data_capture.kms_key_arn:
            keys[self.config.data_capture.kms_key_arn] = f"{source}: data_capture.kms_key_arn"
        for uri in self._artifact_uris(package):
            key = self._head_artifact(target, uri, plan.candidate_version)
            if key:
                keys.setdefault(key, f"model package v{plan.candidate_version}: the KMS key of artifact {uri}")
        for key, where in keys.items():
            report.warnings.extend(self._check_key(target, key, where))
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
            self._check_alarms(target, plan, alarms, report)
        for warning in report.warnings:
            log.warning(warning)
        return report

    def _check_alarms(self, target: ep.Target, plan: Plan, alarms: list[str], report: Preflight) -> None:
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
                f"{self.config.source}: deployment.rollback_alarms: {', '.join(missing)} not found in account "
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
        if plan.action == ROLLBACK or plan.moving_away_from_rejected:
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

    @staticmethod
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
                    return [
                        f"{where}: cannot describe KMS key {key} from account {target.account}: {error_message(exc)}"
                    ]
                raise InputError(f"{where}: KMS key {key} not found in account {target.account}") from exc
            raise DeployerError(f"kms:DescribeKey on {key} failed: {error_code(exc)}: {error_message(exc)}") from exc
        state = str(metadata.get("KeyState", ""))
        if state and state != "Enabled":
            raise InputError(f"{where}: KMS key {key} is {state} (allowed: an Enabled key)")
        return []

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

    # -- deploy -------------------------------------------------------------------------------------------------------

    def deploy(self, *, pinned: int | None = None, force: bool = False) -> Result:
        """Plan, then execute the plan (without a ledger: `deployer.promotion.StageRun` adds lock and records)."""
        plan = self.plan(pinned=pinned, force=force)
        for line in plan.lines():
            log.info(line)
        return self.execute(plan)

    def execute(self, plan: Plan) -> Result:
        """Carry out a plan: no-op, resume, or preflight then roll out. Raises for wait and refuse."""
        if plan.action == NOOP:
            self._reconcile_autoscaling()
            return Result(plan, "no-op", f"v{plan.candidate_version} is already live on {plan.endpoint}")
        if plan.action == WAIT:
            raise EndpointBusyError(f"{plan.endpoint}: {plan.reason}; try again when it settles")
        if plan.action == REFUSE:
            raise NothingToDeployError(f"nothing to deploy: {plan.reason} (use rollback --to-version to go back)")
        if plan.action == RESUME:
            return self._resume(plan)
        preflight = self.preflight(plan)
        return self._roll_out(plan, preflight)

    def _timeout(self, *, creating: bool) -> float:
        return (
            self.timeout_seconds
            if self.timeout_seconds is not None
            else rollout_timeout(self.config, creating=creating)
        )

    def _wait_and_verify(self, plan: Plan, *, creating: bool) -> dict[str, Any]:
        target = self.target()
        timeout = self._timeout(creating=creating)
        log.info("waiting up to %.0fs, polling every %gs", timeout, self.poll_seconds)
        try:
            desc = ep.wait_until_settled(
                target, plan.endpoint, timeout=timeout, poll=self.poll_seconds, on_poll=self.keepalive
            )
            ep.verify(desc, plan.config_name)
        except DeployerError:
            self._settle_autoscaling(target, quiet=True)  # a rolled-back endpoint keeps its scaling
            raise
        return desc

    def _resume(self, plan: Plan) -> Result:
        """An earlier run started this very change and stopped; wait for it instead of starting another."""
        log.info("resuming: %s", plan.reason)
        result = Result(plan, "deployed", "")
        desc = self._wait_and_verify(plan, creating=plan.live_status == "Creating")
        self._finish(plan, desc, result, creating=plan.live_status == "Creating")
        return result

    def _roll_out(self, plan: Plan, preflight: Preflight | None = None) -> Result:
        preflight = preflight or Preflight()
        target = self.target()
        cfg = self.config
        version = ModelVersion(plan.candidate_arn, plan.candidate_version, "")
        tags = resource_tags(cfg, version, plan.config_hash)
        result = Result(plan, "deployed", "", warnings=list(preflight.warnings))
        if ep.ensure_model(target, plan.model_name, plan.candidate_arn, cfg.endpoint.execution_role_arn, tags):
            result.created.append(plan.model_name)
        spec = endpoint_config_spec(cfg, plan.model_name)
        if ep.ensure_endpoint_config(target, plan.config_name, spec, tags):
            result.created.append(plan.config_name)

        creating = plan.action == CREATE
        endpoint_name = cfg.endpoint.name
        variant = cfg.endpoint.variant_name
        if creating:
            if plan.live_status in ("Failed", "OutOfService"):
                ep.delete_failed_endpoint(
                    target, endpoint_name, self._timeout(creating=True), self.poll_seconds, on_poll=self.keepalive
                )
            ep.create_endpoint(target, endpoint_name, plan.config_name, tags)
            result.created.append(endpoint_name)
        else:
            deployment = deployment_config(cfg.deployment)
            if not preflight.use_alarms:
                deployment.pop("AutoRollbackConfiguration", None)
            ep.suspend_autoscaling(target, endpoint_name, variant)
            ep.update_endpoint(target, endpoint_name, plan.config_name, deployment)
        desc = self._wait_and_verify(plan, creating=creating)
        self._finish(plan, desc, result, creating=creating)
        return result

    def _finish(self, plan: Plan, desc: dict[str, Any], result: Result, *, creating: bool) -> None:
        target = self.target()
        self._settle_autoscaling(target)
        if not creating:
            tag_arn = desc.get("EndpointArn")
            if tag_arn:
                version = ModelVersion(plan.candidate_arn, plan.candidate_version, "")
                ep.tag_resource(target, str(tag_arn), resource_tags(self.config, version, plan.config_hash))
        result.deleted = ep.cleanup(target, plan.endpoint, self.keep)
        result.message = f"v{plan.candidate_version} is live on {plan.endpoint} ({plan.config_name})"
        log.info(result.message)

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
